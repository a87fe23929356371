"""Generate spec traces: a wrapper around ``quint run --mbt --out-itf`` with provenance.

Each trace is written gzip-compressed (``<instance>-s<seed>-<k>.itf.json.gz``) with
``#meta.zabkeeper`` recording the spec revision (a hash of spec/*.qnt), the instance, the seed
and the exact command, so any committed trace can be regenerated. Quint keeps the N longest
samples of a run; duplicates are dropped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from conformance.itf import read_json, write_json

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"


class GenerateError(RuntimeError):
    """Quint is missing or failed."""


def quint_binary(spec_dir: Path = SPEC_DIR) -> Path:
    binary = spec_dir / "node_modules" / ".bin" / "quint"
    if not binary.exists():
        raise GenerateError(f"{binary} not found: run `npm ci` in {spec_dir} (or `make spec`)")
    return binary


def spec_revision(spec_dir: Path = SPEC_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(spec_dir.glob("*.qnt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class GenerateRequest:
    seed: int
    count: int
    instance: str = "zab3"
    max_steps: int = 150
    invariant: str = "AllInvariants"


def quint_run_command(request: GenerateRequest, out_pattern: str, spec_dir: Path = SPEC_DIR) -> list[str]:
    return [
        str(quint_binary(spec_dir)),
        "run",
        "--backend=typescript",
        "--mbt",
        f"--max-samples={request.count}",
        f"--n-traces={request.count}",
        f"--max-steps={request.max_steps}",
        f"--seed={request.seed}",
        f"--invariant={request.invariant}",
        f"--out-itf={out_pattern}",
        f"{request.instance}.qnt",
    ]


def generate(request: GenerateRequest, out_dir: Path, spec_dir: Path = SPEC_DIR) -> list[Path]:
    """Run Quint and write the distinct traces to ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    revision = spec_revision(spec_dir)
    with tempfile.TemporaryDirectory(prefix="zab-itf-") as tmp:
        command = quint_run_command(request, str(Path(tmp) / "t_{seq}.itf.json"), spec_dir)
        done = subprocess.run(command, cwd=spec_dir, capture_output=True, text=True, check=False)
        produced = sorted(
            Path(tmp).glob("t_*.itf.json"), key=lambda p: int(p.stem.split("_")[1].split(".")[0])
        )
        if done.returncode != 0 and "Invariant violated" in done.stdout + done.stderr:
            raise GenerateError(
                f"the spec violates {request.invariant} (seed {request.seed}):\n{done.stdout[-2000:]}"
            )
        if done.returncode != 0 or not produced:
            raise GenerateError(
                f"quint run failed ({done.returncode}):\n{done.stderr[-2000:] or done.stdout[-2000:]}"
            )
        shown = " ".join(["quint", *command[1:]])
        written: list[Path] = []
        seen: set[str] = set()
        for raw in produced:
            data = read_json(raw)
            key = hashlib.sha256(json.dumps(data["states"], sort_keys=True).encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            meta = data.setdefault("#meta", {})
            meta["zabkeeper"] = {
                "spec_revision": revision,
                "instance": request.instance,
                "seed": request.seed,
                "sample": len(written),
                "command": shown,
            }
            target = out_dir / f"{request.instance}-s{request.seed}-{len(written):03d}.itf.json.gz"
            write_json(target, data)
            written.append(target)
    return written


def have_quint(spec_dir: Path = SPEC_DIR) -> bool:
    return (spec_dir / "node_modules" / ".bin" / "quint").exists() and shutil.which("node") is not None
