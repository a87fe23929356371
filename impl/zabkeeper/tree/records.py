"""The jute records of the ZooKeeper 3.8/3.9 client protocol and txn log, as frozen dataclasses.

One class per record of ``zookeeper.jute``, with the same name and the same fields in the same
order (snake_case), so ``wire`` can encode and decode each class field by field and everything
above it (prepare, apply, the server) speaks in records instead of bytes. Records are plain data:
no behaviour, no validation of meaning (that is prepare's job, with ZooKeeper's error codes).

Conventions the codec and the tree agree on:
* a jute ``ustring`` is a ``str``; a null string (length -1, which kazoo writes for every empty
  string) decodes to ``""``, except in ReconfigRequest where null means "absent" (``None``);
* a node's data (``buffer data``) is ``bytes | None``: ZooKeeper keeps null data distinct from
  empty data and returns it as null; other buffers (passwords, auth, tokens) are ``bytes``;
* a jute ``vector`` is a tuple; a null vector decodes to ``()``;
* records nested in other records (multi ops, multi results, the txns of a MultiTxn) are held
  decoded, with their opcode next to them, exactly as jute frames them.

The numeric constants live in ``tree.constants`` and are re-exported here. Every record gets the
cheaper constructor of ``tree.slot_init`` (records are built for every request).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from zabkeeper.tree.constants import (
    AddWatchMode,
    Code,
    CreateMode,
    EventType,
    KeeperState,
    OpCode,
    Perms,
    WatcherType,
)
from zabkeeper.tree.slot_init import install_slot_init

__all__ = [
    "ACL",
    "AddWatchMode",
    "AddWatchRequest",
    "AuthPacket",
    "CheckVersionRequest",
    "CheckVersionTxn",
    "CheckWatchesRequest",
    "ClientInfo",
    "CloseSessionRequest",
    "CloseSessionTxn",
    "Code",
    "ConnectRequest",
    "ConnectResponse",
    "Create2Response",
    "CreateContainerTxn",
    "CreateMode",
    "CreateRequest",
    "CreateResponse",
    "CreateSessionTxn",
    "CreateTTLRequest",
    "CreateTTLTxn",
    "CreateTxn",
    "DeleteContainerRequest",
    "DeleteRequest",
    "DeleteTxn",
    "ErrorResponse",
    "ErrorTxn",
    "EventType",
    "ExistsRequest",
    "ExistsResponse",
    "GetACLRequest",
    "GetACLResponse",
    "GetAllChildrenNumberRequest",
    "GetAllChildrenNumberResponse",
    "GetChildren2Request",
    "GetChildren2Response",
    "GetChildrenRequest",
    "GetChildrenResponse",
    "GetDataRequest",
    "GetDataResponse",
    "GetEphemeralsRequest",
    "GetEphemeralsResponse",
    "GetSASLRequest",
    "Id",
    "KeeperState",
    "MultiHeader",
    "MultiOp",
    "MultiReadOp",
    "MultiReadRequest",
    "MultiRequest",
    "MultiResponse",
    "MultiResult",
    "MultiTxn",
    "OpCode",
    "Perms",
    "ReconfigRequest",
    "RemoveWatchesRequest",
    "ReplyHeader",
    "RequestHeader",
    "SetACLRequest",
    "SetACLResponse",
    "SetACLTxn",
    "SetDataRequest",
    "SetDataResponse",
    "SetDataTxn",
    "SetSASLResponse",
    "SetWatches",
    "SetWatches2",
    "Stat",
    "StatPersisted",
    "SyncRequest",
    "SyncResponse",
    "Txn",
    "TxnHeader",
    "TxnRecord",
    "WatcherEvent",
    "WatcherType",
    "WhoAmIRequest",
    "WhoAmIResponse",
]

# --- org.apache.zookeeper.data -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Id:
    scheme: str
    id: str


@dataclass(frozen=True, slots=True)
class ACL:
    perms: int
    id: Id


@dataclass(frozen=True, slots=True)
class Stat:
    """What a client sees of a znode (68 bytes on the wire)."""

    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int


@dataclass(frozen=True, slots=True)
class StatPersisted:
    """What ZooKeeper stores of a znode: Stat without dataLength and numChildren."""

    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    pzxid: int


@dataclass(frozen=True, slots=True)
class ClientInfo:
    auth_scheme: str
    user: str


# --- org.apache.zookeeper.proto: framing and session -------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """First frame of a connection; ``read_only`` is the trailing byte ancient clients omit."""

    protocol_version: int
    last_zxid_seen: int
    time_out: int
    session_id: int
    passwd: bytes
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class ConnectResponse:
    protocol_version: int
    time_out: int
    session_id: int
    passwd: bytes
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class RequestHeader:
    xid: int
    type: int


@dataclass(frozen=True, slots=True)
class ReplyHeader:
    xid: int
    zxid: int
    err: int


@dataclass(frozen=True, slots=True)
class MultiHeader:
    type: int
    done: bool
    err: int


@dataclass(frozen=True, slots=True)
class AuthPacket:
    type: int
    scheme: str
    auth: bytes


@dataclass(frozen=True, slots=True)
class SetWatches:
    relative_zxid: int
    data_watches: tuple[str, ...]
    exist_watches: tuple[str, ...]
    child_watches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetWatches2:
    relative_zxid: int
    data_watches: tuple[str, ...]
    exist_watches: tuple[str, ...]
    child_watches: tuple[str, ...]
    persistent_watches: tuple[str, ...]
    persistent_recursive_watches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GetSASLRequest:
    token: bytes


@dataclass(frozen=True, slots=True)
class SetSASLResponse:
    token: bytes


@dataclass(frozen=True, slots=True)
class WatcherEvent:
    type: int
    state: int
    path: str


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    err: int


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """create (1), create2 (15) and createContainer (19) share this record."""

    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int


@dataclass(frozen=True, slots=True)
class CreateTTLRequest:
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int
    ttl: int


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    path: str
    version: int


@dataclass(frozen=True, slots=True)
class DeleteContainerRequest:
    """Server-internal (opcode 20): the container reaper / TTL expiry asks to remove ``path``."""

    path: str


@dataclass(frozen=True, slots=True)
class ExistsRequest:
    path: str
    watch: bool


@dataclass(frozen=True, slots=True)
class GetDataRequest:
    path: str
    watch: bool


@dataclass(frozen=True, slots=True)
class SetDataRequest:
    path: str
    data: bytes | None
    version: int


@dataclass(frozen=True, slots=True)
class GetACLRequest:
    path: str


@dataclass(frozen=True, slots=True)
class SetACLRequest:
    path: str
    acl: tuple[ACL, ...]
    version: int


@dataclass(frozen=True, slots=True)
class GetChildrenRequest:
    path: str
    watch: bool


@dataclass(frozen=True, slots=True)
class GetChildren2Request:
    path: str
    watch: bool


@dataclass(frozen=True, slots=True)
class SyncRequest:
    path: str


@dataclass(frozen=True, slots=True)
class CheckVersionRequest:
    path: str
    version: int


@dataclass(frozen=True, slots=True)
class ReconfigRequest:
    joining_servers: str | None
    leaving_servers: str | None
    new_members: str | None
    cur_config_id: int


@dataclass(frozen=True, slots=True)
class CheckWatchesRequest:
    path: str
    type: int


@dataclass(frozen=True, slots=True)
class RemoveWatchesRequest:
    path: str
    type: int


@dataclass(frozen=True, slots=True)
class GetEphemeralsRequest:
    prefix_path: str


@dataclass(frozen=True, slots=True)
class GetAllChildrenNumberRequest:
    path: str


@dataclass(frozen=True, slots=True)
class AddWatchRequest:
    path: str
    mode: int


@dataclass(frozen=True, slots=True)
class WhoAmIRequest:
    """whoAmI (107) has no body; this empty record stands for it."""


@dataclass(frozen=True, slots=True)
class CloseSessionRequest:
    """closeSession (-11) has no body; this empty record stands for it."""


@dataclass(frozen=True, slots=True)
class MultiOp:
    """One op of a multi: ``type`` is its opcode (create, create2, createContainer, createTTL,
    delete, setData or check), which decides the result record."""

    type: OpCode
    request: CreateRequest | CreateTTLRequest | DeleteRequest | SetDataRequest | CheckVersionRequest


@dataclass(frozen=True, slots=True)
class MultiRequest:
    ops: tuple[MultiOp, ...]


@dataclass(frozen=True, slots=True)
class MultiReadOp:
    """One op of a multiRead: getData (4) or getChildren (8)."""

    type: OpCode
    request: GetDataRequest | GetChildrenRequest


@dataclass(frozen=True, slots=True)
class MultiReadRequest:
    ops: tuple[MultiReadOp, ...]


# --- responses ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateResponse:
    path: str


@dataclass(frozen=True, slots=True)
class Create2Response:
    path: str
    stat: Stat


@dataclass(frozen=True, slots=True)
class ExistsResponse:
    stat: Stat


@dataclass(frozen=True, slots=True)
class GetDataResponse:
    data: bytes | None
    stat: Stat


@dataclass(frozen=True, slots=True)
class SetDataResponse:
    stat: Stat


@dataclass(frozen=True, slots=True)
class GetACLResponse:
    acl: tuple[ACL, ...]
    stat: Stat


@dataclass(frozen=True, slots=True)
class SetACLResponse:
    stat: Stat


@dataclass(frozen=True, slots=True)
class GetChildrenResponse:
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GetChildren2Response:
    children: tuple[str, ...]
    stat: Stat


@dataclass(frozen=True, slots=True)
class SyncResponse:
    path: str


@dataclass(frozen=True, slots=True)
class GetEphemeralsResponse:
    ephemerals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GetAllChildrenNumberResponse:
    total_number: int


@dataclass(frozen=True, slots=True)
class WhoAmIResponse:
    client_info: tuple[ClientInfo, ...]


@dataclass(frozen=True, slots=True)
class MultiResult:
    """One result of a multi / multiRead: ``type`` is the result type of section 7 of the wire
    notes (1, 15, 2, 13, 5, 4, 8, or -1 for an error), ``err`` the MultiHeader's err, and
    ``response`` the record after it (None for delete and check)."""

    type: int
    err: int
    response: (
        CreateResponse
        | Create2Response
        | SetDataResponse
        | GetDataResponse
        | GetChildrenResponse
        | ErrorResponse
        | None
    )


@dataclass(frozen=True, slots=True)
class MultiResponse:
    results: tuple[MultiResult, ...]


# --- org.apache.zookeeper.txn --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TxnHeader:
    client_id: int
    cxid: int
    zxid: int
    time: int
    type: int


@dataclass(frozen=True, slots=True)
class CreateTxn:
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    ephemeral: bool
    parent_cversion: int


@dataclass(frozen=True, slots=True)
class CreateTTLTxn:
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    parent_cversion: int
    ttl: int


@dataclass(frozen=True, slots=True)
class CreateContainerTxn:
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    parent_cversion: int


@dataclass(frozen=True, slots=True)
class DeleteTxn:
    """delete (2) and deleteContainer (20) share this record."""

    path: str


@dataclass(frozen=True, slots=True)
class SetDataTxn:
    path: str
    data: bytes | None
    version: int


@dataclass(frozen=True, slots=True)
class CheckVersionTxn:
    path: str
    version: int


@dataclass(frozen=True, slots=True)
class SetACLTxn:
    path: str
    acl: tuple[ACL, ...]
    version: int


@dataclass(frozen=True, slots=True)
class CreateSessionTxn:
    time_out: int


@dataclass(frozen=True, slots=True)
class CloseSessionTxn:
    paths2_delete: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorTxn:
    err: int


@dataclass(frozen=True, slots=True)
class Txn:
    """One txn of a MultiTxn (jute: ``int type; buffer data``), held decoded: the codec writes
    ``txn`` into the buffer."""

    type: OpCode
    txn: CreateTxn | CreateTTLTxn | CreateContainerTxn | DeleteTxn | SetDataTxn | CheckVersionTxn | ErrorTxn


@dataclass(frozen=True, slots=True)
class MultiTxn:
    txns: tuple[Txn, ...]


# Every record that can follow a TxnHeader in the txn log (or be proposed by a leader).
TxnRecord = (
    CreateTxn
    | CreateTTLTxn
    | CreateContainerTxn
    | DeleteTxn
    | SetDataTxn
    | CheckVersionTxn
    | SetACLTxn
    | CreateSessionTxn
    | CloseSessionTxn
    | ErrorTxn
    | MultiTxn
)


for _name in __all__:
    _record = globals()[_name]
    if isinstance(_record, type) and dataclasses.is_dataclass(_record):
        install_slot_init(_record)
