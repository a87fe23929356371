"""A spec trace as the replayer reads it: the states, and which action led to each.

``quint run --mbt`` adds two variables to every state: ``mbt::actionTaken`` (the action that
produced it) and ``mbt::nondetPicks`` (the values its ``nondet`` bindings took, as Quint Options).
Spec variables carry their module path (``zab3::zab::nodes``); ``SpecTrace`` strips it. The
generator stores its provenance (spec revision, command, seed) in ``#meta.zabkeeper``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.itf import ItfError, Variant, decode, read_json

ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"


@dataclass(frozen=True)
class Step:
    """One state of the trace and the action (with its arguments) that produced it."""

    index: int
    action: str
    picks: dict[str, Any]
    state: dict[str, Any]

    def arg(self, name: str) -> int:
        value = self.picks.get(name)
        if not isinstance(value, int):
            raise ItfError(f"step {self.index}: action {self.action} has no argument {name!r}")
        return value

    def describe(self) -> str:
        args = ", ".join(f"{key}={self.picks[key]}" for key in ("i", "j") if key in self.picks)
        return f"{self.action}({args})"


@dataclass(frozen=True)
class SpecTrace:
    path: Path
    steps: list[Step]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> str:
        return str(self.provenance.get("seed", "?"))

    @property
    def source(self) -> str:
        return str(self.provenance.get("instance", ""))


def _picks(raw: Any) -> dict[str, Any]:
    picks = decode(raw) if raw is not None else {}
    out: dict[str, Any] = {}
    for name, option in picks.items():
        if isinstance(option, Variant) and option.tag == "Some":
            out[name] = option.value
    return out


def load_trace(path: Path) -> SpecTrace:
    """Read and decode one ITF trace written with ``--mbt``."""
    data = read_json(path)
    steps = []
    for index, raw in enumerate(data["states"]):
        if ACTION_TAKEN not in raw:
            raise ItfError(f"{path}: state {index} has no {ACTION_TAKEN}; generate traces with --mbt")
        state = {
            key.rsplit("::", 1)[-1]: decode(value)
            for key, value in raw.items()
            if key not in ("#meta", ACTION_TAKEN, NONDET_PICKS)
        }
        steps.append(Step(index, str(raw[ACTION_TAKEN]), _picks(raw.get(NONDET_PICKS)), state))
    if not steps:
        raise ItfError(f"{path}: empty trace")
    meta = data.get("#meta", {})
    provenance = dict(meta.get("zabkeeper", {})) if isinstance(meta, dict) else {}
    if "instance" not in provenance and isinstance(meta, dict) and "source" in meta:
        provenance["instance"] = Path(str(meta["source"])).stem
    return SpecTrace(path, steps, provenance)
