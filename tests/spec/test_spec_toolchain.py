"""The spec's toolchain pins and the honest `verify` target."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / "spec"


def test_quint_and_antlr4ts_are_pinned_with_a_lockfile() -> None:
    package = json.loads((SPEC / "package.json").read_text())
    assert package["devDependencies"]["@informalsystems/quint"] == "0.33.0"
    assert package["overrides"]["antlr4ts"] == "0.5.0-alpha.4"
    lock = json.loads((SPEC / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@informalsystems/quint"]["version"] == "0.33.0"
    assert lock["packages"]["node_modules/antlr4ts"]["version"] == "0.5.0-alpha.4"


def test_every_action_the_step_offers_is_named_in_the_docs() -> None:
    zab = (SPEC / "zab.qnt").read_text()
    docs = (SPEC.parent / "docs" / "spec.md").read_text()
    actions = {
        line.split("action ", 1)[1].split("(", 1)[0]
        for line in zab.splitlines()
        if line.strip().startswith("action ") and line.strip()[7].isupper()
    }
    assert {"FLEHandleNotmsg", "FollowerProcessNEWLEADER", "LeaderProcessACKLD", "NodeCrash"} <= actions
    missing = sorted(action for action in actions if f"`{action}" not in docs)
    assert not missing, f"docs/spec.md does not map {missing}"


def test_verify_without_an_apalache_endpoint_says_it_was_skipped() -> None:
    assert shutil.which("make") is not None, "make is required (README's commands use it)"
    assert (SPEC / "node_modules" / ".bin" / "quint").exists(), (
        "spec/node_modules is not installed: run `make -C spec deps` (make test does)"
    )
    env = {key: value for key, value in os.environ.items() if key != "APALACHE_ENDPOINT"}
    done = subprocess.run(
        ["make", "-s", "-C", str(SPEC), "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert "SKIPPED (not verified)" in done.stdout
    assert "APALACHE_ENDPOINT" in done.stdout
