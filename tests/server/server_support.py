"""Constants and helpers the server tests share (kept out of conftest.py so test modules can
import them by a name no other test folder uses)."""

from __future__ import annotations

SUPER_PASSWORD = "super-secret"
REAPER_QUIET_MS = 3_600_000
# digest of "super:super-secret" (user:BASE64(SHA1(user:password))), as zoo.cfg's superDigest wants it
SUPER_DIGEST = "super:2KCAOlea08rlrYvOZvQwvrr82Jc="


def zabkeeper_settings(**extra: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "zookeeper.extendedTypesEnabled": "true",
        "zookeeper.DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
        "znode.container.checkIntervalMs": 500,
    }
    settings.update(extra)
    return settings
