"""The records and constants carry ZooKeeper's numbers (values read from the 3.8.0 jar with javap
and from zookeeper.jute); records are immutable plain data."""

from __future__ import annotations

import dataclasses

import pytest

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import (
    CONTAINER_EPHEMERAL_OWNER,
    TTL_MAX,
    Code,
    CreateMode,
    EventType,
    KeeperState,
    OpCode,
    Perms,
    WatcherType,
    ttl_ephemeral_owner,
    ttl_of_ephemeral_owner,
)
from zabkeeper.tree.slot_init import install_slot_init


def test_opcodes() -> None:
    assert {op.name: op.value for op in OpCode} == {
        "notification": 0, "create": 1, "delete": 2, "exists": 3, "getData": 4, "setData": 5, "getACL": 6,
        "setACL": 7, "getChildren": 8, "sync": 9, "ping": 11, "getChildren2": 12, "check": 13, "multi": 14,
        "create2": 15, "reconfig": 16, "checkWatches": 17, "removeWatches": 18, "createContainer": 19,
        "deleteContainer": 20, "createTTL": 21, "multiRead": 22, "auth": 100, "setWatches": 101, "sasl": 102,
        "getEphemerals": 103, "getAllChildrenNumber": 104, "setWatches2": 105, "addWatch": 106, "whoAmI": 107,
        "createSession": -10, "closeSession": -11, "error": -1,
    }  # fmt: skip


def test_error_codes_spot_check() -> None:
    assert (Code.NONODE, Code.NOAUTH, Code.BADVERSION, Code.NOCHILDRENFOREPHEMERALS) == (
        -101,
        -102,
        -103,
        -108,
    )
    assert (Code.NODEEXISTS, Code.NOTEMPTY, Code.SESSIONEXPIRED, Code.INVALIDACL) == (-110, -111, -112, -114)
    assert (Code.NOWATCHER, Code.RECONFIGDISABLED, Code.THROTTLEDOP, Code.UNKNOWNSESSION) == (
        -121,
        -123,
        -127,
        -12,
    )
    assert len(Code) == 32


def test_create_modes() -> None:
    assert [(m.value, m.is_ephemeral, m.is_sequential, m.is_container, m.is_ttl) for m in CreateMode] == [
        (0, False, False, False, False),
        (1, True, False, False, False),
        (2, False, True, False, False),
        (3, True, True, False, False),
        (4, False, False, True, False),
        (5, False, False, False, True),
        (6, False, True, False, True),
    ]


def test_watch_and_permission_constants() -> None:
    assert [e.value for e in EventType] == [-1, 1, 2, 3, 4, 5, 6, 7]
    assert KeeperState.SyncConnected == 3 and KeeperState.Expired == -112
    assert [t.value for t in WatcherType] == [1, 2, 3, 4, 5]
    assert Perms.ALL == Perms.READ | Perms.WRITE | Perms.CREATE | Perms.DELETE | Perms.ADMIN == 31


@pytest.mark.parametrize("ttl", [1, 1000, TTL_MAX])
def test_ttl_owner_encoding_round_trips(ttl: int) -> None:
    owner = ttl_ephemeral_owner(ttl)
    assert owner < 0 and (owner & (1 << 64) - 1) >> 56 == 0xFF
    assert ttl_of_ephemeral_owner(owner) == ttl


def test_ttl_owner_encoding_rejects_other_owners() -> None:
    assert ttl_ephemeral_owner(1) & (1 << 64) - 1 == 0xFF00000000000001
    assert ttl_of_ephemeral_owner(CONTAINER_EPHEMERAL_OWNER) is None
    assert ttl_of_ephemeral_owner(0x0100_0000_0000_0001) is None
    assert ttl_of_ephemeral_owner((0xFF01 << 48) - (1 << 64)) is None  # extended type 1 does not exist
    with pytest.raises(AssertionError):
        ttl_ephemeral_owner(TTL_MAX + 1)


def test_stat_fields_in_jute_order() -> None:
    assert [f.name for f in dataclasses.fields(r.Stat)] == [
        "czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
        "ephemeral_owner", "data_length", "num_children", "pzxid",
    ]  # fmt: skip


def test_records_are_frozen() -> None:
    request = r.CreateRequest("/a", b"", (), 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.path = "/b"
    assert r.ConnectRequest(0, 0, 30000, 0, bytes(16)).read_only is False


RECORD_CLASSES = [
    cls
    for cls in vars(r).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == r.__name__
]


def _constructor_problem(cls: type) -> str | None:
    """What is wrong with how ``cls`` builds a record: each field must hold its own argument,
    given by position or by name, a default must apply when it is left out, and the record must
    stay frozen. None if nothing is."""
    fields = dataclasses.fields(cls)
    markers = [object() for _ in fields]
    by_position = cls(*markers)
    by_name = cls(**{field.name: marker for field, marker in zip(fields, markers, strict=True)})
    for record in (by_position, by_name):
        for field, marker in zip(fields, markers, strict=True):
            if getattr(record, field.name) is not marker:
                return f"{cls.__name__}.{field.name} does not hold its argument"
    required = [
        marker for field, marker in zip(fields, markers, strict=True) if field.default is dataclasses.MISSING
    ]
    for field in fields[len(required) :]:
        if getattr(cls(*required), field.name) != field.default:
            return f"{cls.__name__}.{field.name} does not default to {field.default!r}"
    if fields:
        try:
            setattr(by_position, fields[0].name, None)
        except dataclasses.FrozenInstanceError:
            return None
        return f"{cls.__name__} can be changed after construction"
    return None


def test_every_record_builds_what_its_fields_say() -> None:
    assert len(RECORD_CLASSES) > 60
    assert [problem for cls in RECORD_CLASSES if (problem := _constructor_problem(cls))] == []


def test_constructor_check_catches_a_broken_init() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Pair:
        first: object
        second: object

    install_slot_init(Pair)
    assert _constructor_problem(Pair) is None

    def swapped(self: Pair, first: object, second: object) -> None:
        object.__setattr__(self, "first", second)
        object.__setattr__(self, "second", first)

    type.__setattr__(Pair, "__init__", swapped)
    assert _constructor_problem(Pair) == "Pair.first does not hold its argument"


def test_slot_init_only_for_frozen_slotted_dataclasses() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        value: int

    with pytest.raises(AssertionError):
        install_slot_init(Mutable)
