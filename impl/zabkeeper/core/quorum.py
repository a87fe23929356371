"""Quorum systems: which sets of servers may decide.

Two rules, as ZooKeeper defines them (QuorumMaj and QuorumHierarchical):

* majority: a set is a quorum when it holds more than half of the voting participants;
* hierarchical: voters are split into groups and carry weights; a set is a quorum when, in more
  than half of the groups (counting only groups with positive total weight), its members carry
  more than half of that group's weight. Servers of weight zero never count.

Observers are never voters under either rule. Both verifiers are pure values: the core, the
config checker and the z3 proofs use the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


class QuorumVerifier(Protocol):
    """The question every quorum rule answers, plus who takes part.

    ``participants`` are the servers that run elections and follow as followers (ZooKeeper's
    voting members); ``voters`` are those among them whose vote counts (weight above zero).
    """

    @property
    def participants(self) -> frozenset[int]: ...

    @property
    def voters(self) -> frozenset[int]: ...

    def contains_quorum(self, sids: Iterable[int]) -> bool: ...


@dataclass(frozen=True)
class MajorityQuorum:
    """QuorumMaj: strictly more than half of the voters."""

    voters: frozenset[int]

    def __post_init__(self) -> None:
        assert self.voters, "a quorum system needs at least one voter"

    @property
    def participants(self) -> frozenset[int]:
        return self.voters

    def contains_quorum(self, sids: Iterable[int]) -> bool:
        present = self.voters.intersection(sids)
        return 2 * len(present) > len(self.voters)


@dataclass(frozen=True)
class HierarchicalQuorum:
    """QuorumHierarchical: a majority of groups, each by a weighted majority within the group.

    ``groups`` maps a group id to its member sids; ``weights`` maps sids to a non-negative weight
    (servers missing from ``weights`` weigh 1, as in ZooKeeper). Groups whose total weight is zero
    are ignored when counting groups.
    """

    groups: Mapping[int, frozenset[int]]
    weights: Mapping[int, int]

    def __post_init__(self) -> None:
        assert self.groups, "a hierarchical quorum system needs at least one group"
        seen: set[int] = set()
        for members in self.groups.values():
            assert members, "empty group"
            assert not (members & seen), "a server may belong to one group only"
            seen |= members
        assert all(weight >= 0 for weight in self.weights.values())
        assert any(self.group_weight(gid) > 0 for gid in self.groups), "no group has weight"

    def weight(self, sid: int) -> int:
        return self.weights.get(sid, 1)

    def group_weight(self, gid: int) -> int:
        return sum(self.weight(sid) for sid in self.groups[gid])

    @property
    def participants(self) -> frozenset[int]:
        return frozenset(sid for members in self.groups.values() for sid in members)

    @property
    def voters(self) -> frozenset[int]:
        return frozenset(sid for sid in self.participants if self.weight(sid) > 0)

    def contains_quorum(self, sids: Iterable[int]) -> bool:
        present = set(sids)
        weighted_groups = [gid for gid in self.groups if self.group_weight(gid) > 0]
        won = 0
        for gid in weighted_groups:
            got = sum(self.weight(sid) for sid in self.groups[gid] & present)
            if 2 * got > self.group_weight(gid):
                won += 1
        return 2 * won > len(weighted_groups)
