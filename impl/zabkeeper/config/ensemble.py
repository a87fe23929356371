"""The ensemble view: which servers exist, which of them vote, and by which quorum rule.

Built from the ``server.N``, ``group.x``, ``weight.x`` and ``version`` entries of zoo.cfg or of a
dynamic config file. Without ``group``/``weight`` lines the rule is majority (ZooKeeper's
QuorumMaj); with them it is hierarchical (QuorumHierarchical). Observers never vote.

Validation refuses every configuration for which the quorum-intersection proof
(``zabkeeper.proofs.quorum_hierarchical``) does not apply, so a configuration accepted here has
intersecting quorums: every participant in exactly one group, groups naming declared
participants only, weights non-negative, and at least one group of positive weight. ZooKeeper
itself does not check all of these (a negative weight or an observer inside a group is accepted
there and silently breaks intersection or counting).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from zabkeeper.config.errors import ConfigError, ValueProblem
from zabkeeper.config.properties import Property
from zabkeeper.config.servers import LearnerType, QuorumServer, parse_number, parse_server_value, parse_sid
from zabkeeper.core.quorum import HierarchicalQuorum, MajorityQuorum, QuorumVerifier

WEIGHT_MAX = (1 << 63) - 1
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")


@dataclass(frozen=True)
class Ensemble:
    """What one server believes the ensemble is. Empty ``servers`` means standalone.

    ``source`` names the file the members were read from (zoo.cfg or its dynamic file).
    """

    source: str = ""
    servers: Mapping[int, QuorumServer] = field(default_factory=dict)
    groups: Mapping[int, frozenset[int]] = field(default_factory=dict)
    weights: Mapping[int, int] = field(default_factory=dict)
    version: int = 0

    def __post_init__(self) -> None:
        assert all(sid == server.sid for sid, server in self.servers.items())
        assert all(weight >= 0 for weight in self.weights.values())

    @property
    def participants(self) -> frozenset[int]:
        return frozenset(
            sid for sid, server in self.servers.items() if server.learner_type is LearnerType.PARTICIPANT
        )

    @property
    def observers(self) -> frozenset[int]:
        return frozenset(self.servers) - self.participants

    @property
    def is_hierarchical(self) -> bool:
        return bool(self.groups)

    def quorum_verifier(self) -> QuorumVerifier:
        """The rule that decides which sets of this ensemble's servers are quorums."""
        assert self.participants, "a standalone server has no quorum verifier"
        if self.is_hierarchical:
            return HierarchicalQuorum(groups=dict(self.groups), weights=dict(self.weights))
        return MajorityQuorum(voters=self.participants)

    def membership_lines(self) -> list[str]:
        """The members as ZooKeeper's QuorumVerifier.toString() lists them (``conf`` output)."""
        lines = [f"server.{sid}={self.servers[sid]}" for sid in sorted(self.servers)]
        for gid in sorted(self.groups):
            lines.append(f"group.{gid}=" + ":".join(str(sid) for sid in sorted(self.groups[gid])))
        lines.extend(f"weight.{sid}={self.weights[sid]}" for sid in sorted(self.weights))
        lines.append(f"version={self.version:x}")
        return lines


def is_ensemble_key(key: str) -> bool:
    """Keys ZooKeeper treats as ensemble membership (it tests prefixes, and so do we)."""
    return key.startswith(("server.", "group", "weight")) or key == "version"


def parse_ensemble(entries: Sequence[Property], source: str, version: int | None = None) -> Ensemble:
    """The ensemble declared by ``entries`` (all of them ensemble keys), validated."""
    servers: dict[int, tuple[QuorumServer, int]] = {}
    groups: dict[int, tuple[frozenset[int], int]] = {}
    weights: dict[int, tuple[int, int]] = {}
    for entry in entries:
        assert is_ensemble_key(entry.key), entry.key
        try:
            if entry.key == "version":
                version = _parse_version(entry.value)
                continue
            sid_text = _id_suffix(entry.key)
            if entry.key.startswith("server."):
                sid = parse_sid(sid_text)
                servers[sid] = (parse_server_value(sid, entry.value), entry.line)
            elif entry.key.startswith("group"):
                groups[parse_number(sid_text, "group id", 0, WEIGHT_MAX)] = (
                    _members(entry.value),
                    entry.line,
                )
            else:
                weight = parse_number(entry.value, "weight", -WEIGHT_MAX, WEIGHT_MAX)
                if weight < 0:
                    raise ValueProblem(f"weight {weight} is negative")
                weights[parse_sid(sid_text)] = (weight, entry.line)
        except ValueProblem as problem:
            raise ConfigError(source, entry.line, f"{entry.key}: {problem}") from None
    ensemble = Ensemble(
        source=source,
        servers={sid: server for sid, (server, _) in servers.items()},
        version=0 if version is None else version,
    )
    if groups or weights:
        ensemble = _hierarchical(
            ensemble, groups, weights, {sid: line for sid, (_, line) in servers.items()}, source
        )
    return ensemble


def _hierarchical(
    ensemble: Ensemble,
    groups: dict[int, tuple[frozenset[int], int]],
    weights: dict[int, tuple[int, int]],
    server_lines: dict[int, int],
    source: str,
) -> Ensemble:
    participants = ensemble.participants
    group_of: dict[int, int] = {}
    for gid, (members, line) in sorted(groups.items(), key=lambda item: item[1][1]):
        for sid in sorted(members):
            if sid not in ensemble.servers:
                raise ConfigError(source, line, f"group.{gid}: server {sid} has no server.{sid} line")
            if sid not in participants:
                raise ConfigError(
                    source, line, f"group.{gid}: server {sid} is an observer; observers never vote"
                )
            if sid in group_of:
                raise ConfigError(
                    source, line, f"group.{gid}: server {sid} is already in group.{group_of[sid]}"
                )
            group_of[sid] = gid
    for sid, (_, line) in weights.items():
        if sid not in participants:
            what = (
                "is an observer; observers never vote"
                if sid in ensemble.servers
                else f"has no server.{sid} line"
            )
            raise ConfigError(source, line, f"weight.{sid}: server {sid} {what}")
    for sid in sorted(participants - set(group_of)):
        raise ConfigError(source, server_lines[sid], f"server.{sid}: participant {sid} is in no group.x line")
    full_weights = {sid: weights[sid][0] if sid in weights else 1 for sid in group_of}
    if not any(sum(full_weights[sid] for sid in members) > 0 for members, _ in groups.values()):
        first_line = min(line for _, line in groups.values()) if groups else None
        raise ConfigError(
            source, first_line, "no group has positive weight, so no set of servers is a quorum"
        )
    return Ensemble(
        source=source,
        servers=ensemble.servers,
        groups={gid: members for gid, (members, _) in groups.items()},
        weights=full_weights,
        version=ensemble.version,
    )


def _id_suffix(key: str) -> str:
    dot = key.find(".")
    if dot < 0:
        raise ValueProblem("expected a numeric id after a dot, as in group.1 or weight.1")
    return key[dot + 1 :]


def _members(value: str) -> frozenset[int]:
    if not value:
        raise ValueProblem("lists no servers")
    members = [parse_sid(part.strip()) for part in value.split(":")]
    duplicates = sorted({sid for sid in members if members.count(sid) > 1})
    if duplicates:
        raise ValueProblem(f"server {duplicates[0]} is listed twice")
    return frozenset(members)


def _parse_version(value: str) -> int:
    if not _HEX.fullmatch(value):
        raise ValueProblem(f"'{value}' is not a hexadecimal number")
    return int(value, 16)
