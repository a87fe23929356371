"""Prepare: turn a client write request into the txn the leader proposes (PrepRequestProcessor).

``prepare(op, request, context, tree, pending)`` validates a write against the tree *as it will
be* once every already-prepared txn is applied (``pending``), and returns the txn: the record
apply needs, with a header carrying the session, cxid, zxid and time from ``context``. A request
that fails becomes an error txn (header type ``error``, ErrorTxn(code)), which is what ZooKeeper
proposes for it too; nothing is added to ``pending`` then. The checks run in ZooKeeper's order,
so a request with several faults gets ZooKeeper's error code.

Reads never come here (see ``tree.reads``); neither do ping, auth or setWatches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from zabkeeper.tree import acl as acls
from zabkeeper.tree.constants import (
    CONTAINER_EPHEMERAL_OWNER,
    TTL_MAX,
    Code,
    CreateMode,
    OpCode,
    ttl_ephemeral_owner,
    ttl_of_ephemeral_owner,
)
from zabkeeper.tree.datatree import DataTree, int32, is_normal_ephemeral
from zabkeeper.tree.errors import KeeperError
from zabkeeper.tree.multi import prepare_multi
from zabkeeper.tree.paths import ROOT, SPECIAL_PATHS, is_valid_path, split_path
from zabkeeper.tree.pending import (
    ChangeRecord,
    NodeState,
    NodeView,
    PendingChanges,
    with_acl,
    with_children,
    with_data,
)
from zabkeeper.tree.records import (
    ACL,
    CheckVersionRequest,
    CheckVersionTxn,
    CloseSessionRequest,
    CloseSessionTxn,
    CreateContainerTxn,
    CreateRequest,
    CreateSessionTxn,
    CreateTTLRequest,
    CreateTTLTxn,
    CreateTxn,
    DeleteContainerRequest,
    DeleteRequest,
    DeleteTxn,
    ErrorTxn,
    Id,
    MultiRequest,
    ReconfigRequest,
    SetACLRequest,
    SetACLTxn,
    SetDataRequest,
    SetDataTxn,
    TxnHeader,
    TxnRecord,
)

WriteRequest = (
    CreateRequest
    | CreateTTLRequest
    | DeleteRequest
    | DeleteContainerRequest
    | SetDataRequest
    | SetACLRequest
    | CheckVersionRequest
    | MultiRequest
    | ReconfigRequest
    | CreateSessionTxn
    | CloseSessionRequest
)


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Server settings prepare depends on (zookeeper.* system properties in ZooKeeper)."""

    extended_types_enabled: bool = False  # zookeeper.extendedTypesEnabled: TTL nodes
    reconfig_enabled: bool = False  # reconfigEnabled
    skip_acl: bool = False  # zookeeper.skipACL


class RequestContext(NamedTuple):
    """Who asks and when: the session and its authenticated ids, the request's cxid (xid), the
    zxid the txn will get, and the leader's wall-clock time in ms (becomes ctime/mtime)."""

    session_id: int
    cxid: int
    zxid: int
    time: int
    auth_ids: tuple[Id, ...]
    options: ServerOptions = ServerOptions()


class PreparedTxn(NamedTuple):
    header: TxnHeader
    txn: TxnRecord

    @property
    def err(self) -> Code:
        """OK, or the code the whole request failed with (multi failures show per op)."""
        return Code(self.txn.err) if isinstance(self.txn, ErrorTxn) else Code.OK


def prepare(
    op: OpCode, request: WriteRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> PreparedTxn:
    """Prepare one write request; see the module docstring."""
    txn: TxnRecord
    if op == OpCode.multi:
        txn = (
            prepare_multi(request, context, tree, pending, prepare_op)
            if isinstance(request, MultiRequest)
            else ErrorTxn(Code.MARSHALLINGERROR)
        )
        op_type = OpCode.error if isinstance(txn, ErrorTxn) else OpCode.multi
    else:
        try:
            txn, op_type = prepare_op(op, request, context, tree, pending), op
        except KeeperError as error:
            txn, op_type = ErrorTxn(error.code), OpCode.error
    return PreparedTxn(TxnHeader(context.session_id, context.cxid, context.zxid, context.time, op_type), txn)


def prepare_op(
    op: int, request: object, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    """Prepare one op (also one op of a multi): add its change records, return its txn, or raise
    KeeperError leaving ``pending`` as it was."""
    entry = _PREPARERS.get(op)
    if entry is None or not isinstance(request, entry[0]):
        raise KeeperError(Code.MARSHALLINGERROR)
    return entry[1](op, request, context, tree, pending)


def _lookup(tree: DataTree, pending: PendingChanges, path: str) -> NodeView:
    node = pending.lookup(tree, path)
    if node is None:
        raise KeeperError(Code.NONODE)
    return node


def _existing(tree: DataTree, pending: PendingChanges, path: str) -> NodeView:
    """The node at ``path`` for an op that validates its path first (setData, check): a path
    that is found was valid when it was created, so only a missing one is validated."""
    node = pending.lookup(tree, path)
    if node is None:
        _validate_path(path)
        raise KeeperError(Code.NONODE)
    return node


def _require(acl: tuple[ACL, ...], perm: int, context: RequestContext) -> None:
    if not acls.check_acl(acl, perm, context.auth_ids, context.options.skip_acl):
        raise KeeperError(Code.NOAUTH)


def _validate_path(path: str) -> None:
    if not is_valid_path(path):
        raise KeeperError(Code.BADARGUMENTS)


def _fixup_acl(acl: tuple[ACL, ...], context: RequestContext) -> tuple[ACL, ...]:
    fixed = acls.fixup_acl(acl, context.auth_ids)
    if isinstance(fixed, Code):
        raise KeeperError(fixed)
    return fixed


def _parent_for_delete(path: str) -> str:
    """getParentPathAndValidate: deletes of the root and system nodes are BadArguments."""
    split = split_path(path)
    if split is None or path in SPECIAL_PATHS:
        raise KeeperError(Code.BADARGUMENTS)
    return split[0] or ROOT


def next_version(current: int, expected: int) -> int:
    """checkAndIncVersion: -1 matches any version; the new version skips -1 when it wraps."""
    if expected != -1 and expected != current:
        raise KeeperError(Code.BADVERSION)
    following = int32(current + 1)
    return 0 if following == -1 else following


# Create flags to modes by a dict lookup (CreateMode(flags) runs the enum machinery).
_CREATE_MODES = {int(mode): mode for mode in CreateMode}


def _create_mode(flags: int, ttl: int, op: int, context: RequestContext) -> CreateMode:
    mode = _CREATE_MODES.get(flags)
    if mode is None:
        raise KeeperError(Code.BADARGUMENTS)
    if mode.is_ttl:
        if not context.options.extended_types_enabled:
            raise KeeperError(Code.UNIMPLEMENTED)
        if not 0 < ttl <= TTL_MAX:
            raise KeeperError(Code.BADARGUMENTS)
    elif ttl >= 0 or op == OpCode.createTTL:
        # ZooKeeper only rejects ttl >= 0 for other modes and then crashes applying a createTTL
        # whose ttl is negative; a createTTL must simply use a TTL mode.
        raise KeeperError(Code.BADARGUMENTS)
    return mode


def _create(
    op: int,
    request: CreateRequest | CreateTTLRequest,
    context: RequestContext,
    tree: DataTree,
    pending: PendingChanges,
) -> TxnRecord:
    ttl = request.ttl if isinstance(request, CreateTTLRequest) else -1
    mode = _create_mode(request.flags, ttl, op, context)
    split = split_path(request.path)
    if split is None:
        raise KeeperError(Code.BADARGUMENTS)
    parent_path = split[0] or ROOT
    acl = _fixup_acl(request.acl, context)
    parent = _lookup(tree, pending, parent_path)
    _require(parent.acl, acls.CREATE, context)
    path = request.path + f"{parent.cversion:010d}" if mode.is_sequential else request.path
    _validate_path(path)
    if pending.lookup(tree, path) is not None:
        raise KeeperError(Code.NODEEXISTS)
    if is_normal_ephemeral(parent.ephemeral_owner):
        raise KeeperError(Code.NOCHILDRENFOREPHEMERALS)
    new_cversion = int32(parent.cversion + 1)
    txn: TxnRecord
    # The txn type follows the opcode, as in ZooKeeper (a container flag sent with opcode create
    # makes a plain persistent node), and the owner below matches what apply will store.
    if op == OpCode.createContainer:
        txn = CreateContainerTxn(path, request.data, acl, new_cversion)
        owner = CONTAINER_EPHEMERAL_OWNER
    elif op == OpCode.createTTL:
        txn = CreateTTLTxn(path, request.data, acl, new_cversion, ttl)
        owner = ttl_ephemeral_owner(ttl)
    else:
        ephemeral = mode.is_ephemeral
        txn = CreateTxn(path, request.data, acl, ephemeral, new_cversion)
        owner = context.session_id if ephemeral else 0
    zxid = context.zxid
    pending.add(ChangeRecord(zxid, parent_path, with_children(parent, 1, new_cversion, zxid)))
    node = NodeState(request.data, acl, zxid, zxid, context.time, context.time, 0, 0, 0, owner, zxid, 0)
    pending.add(ChangeRecord(zxid, path, node))
    return txn


def _remove(path: str, parent_path: str, tree: DataTree, pending: PendingChanges, zxid: int) -> None:
    parent = _lookup(tree, pending, parent_path)
    pending.add(ChangeRecord(zxid, parent_path, with_children(parent, -1, parent.cversion, zxid)))
    pending.add(ChangeRecord(zxid, path, None))


def _delete(
    op: int, request: DeleteRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    parent_path = _parent_for_delete(request.path)
    parent = _lookup(tree, pending, parent_path)
    _require(parent.acl, acls.DELETE, context)
    node = _lookup(tree, pending, request.path)
    next_version(node.version, request.version)
    if node.child_count > 0:
        raise KeeperError(Code.NOTEMPTY)
    _remove(request.path, parent_path, tree, pending, context.zxid)
    return DeleteTxn(request.path)


def _delete_container(
    op: int, request: DeleteContainerRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    """The reaper's delete: only an empty container or TTL node (ZooKeeper only refuses session
    ephemerals here, so a race with a re-created persistent node would delete it)."""
    parent_path = _parent_for_delete(request.path)
    node = _lookup(tree, pending, request.path)
    if node.child_count > 0:
        raise KeeperError(Code.NOTEMPTY)
    owner = node.ephemeral_owner
    if owner != CONTAINER_EPHEMERAL_OWNER and ttl_of_ephemeral_owner(owner) is None:
        raise KeeperError(Code.BADVERSION)
    _remove(request.path, parent_path, tree, pending, context.zxid)
    return DeleteTxn(request.path)


def _set_data(
    op: int, request: SetDataRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    node = _existing(tree, pending, request.path)
    _require(node.acl, acls.WRITE, context)
    version = next_version(node.version, request.version)
    zxid = context.zxid
    pending.add(ChangeRecord(zxid, request.path, with_data(node, request.data, version, context.time, zxid)))
    return SetDataTxn(request.path, request.data, version)


def _set_acl(
    op: int, request: SetACLRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    _validate_path(request.path)
    acl = _fixup_acl(request.acl, context)
    node = _lookup(tree, pending, request.path)
    _require(node.acl, acls.ADMIN, context)
    aversion = next_version(node.aversion, request.version)
    # Later requests must be checked against the new ACL before this txn is applied.
    pending.add(ChangeRecord(context.zxid, request.path, with_acl(node, acl, aversion)))
    return SetACLTxn(request.path, acl, aversion)


def _check(
    op: int, request: CheckVersionRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    node = _existing(tree, pending, request.path)
    _require(node.acl, acls.READ, context)
    return CheckVersionTxn(request.path, next_version(node.version, request.version))


def _close_session(
    op: int, request: CloseSessionRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    paths = pending.ephemerals_of(tree, context.session_id)
    for path in paths:
        split = split_path(path)
        assert split is not None, path
        _remove(path, split[0] or ROOT, tree, pending, context.zxid)
    return CloseSessionTxn(tuple(paths))


def _reconfig(
    op: int, request: ReconfigRequest, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    # Membership changes belong to the quorum layer; standalone ZooKeeper answers Unimplemented.
    raise KeeperError(Code.UNIMPLEMENTED if context.options.reconfig_enabled else Code.RECONFIGDISABLED)


def _create_session(
    op: int, request: CreateSessionTxn, context: RequestContext, tree: DataTree, pending: PendingChanges
) -> TxnRecord:
    return request


_Preparer = Callable[[int, Any, RequestContext, DataTree, PendingChanges], TxnRecord]
# Each write opcode: the request record it must carry (else MarshallingError) and its preparer.
_PREPARERS: dict[int, tuple[type, _Preparer]] = {
    OpCode.create: (CreateRequest, _create),
    OpCode.create2: (CreateRequest, _create),
    OpCode.createContainer: (CreateRequest, _create),
    OpCode.createTTL: (CreateTTLRequest, _create),
    OpCode.delete: (DeleteRequest, _delete),
    OpCode.deleteContainer: (DeleteContainerRequest, _delete_container),
    OpCode.setData: (SetDataRequest, _set_data),
    OpCode.setACL: (SetACLRequest, _set_acl),
    OpCode.check: (CheckVersionRequest, _check),
    OpCode.reconfig: (ReconfigRequest, _reconfig),
    OpCode.createSession: (CreateSessionTxn, _create_session),
    OpCode.closeSession: (CloseSessionRequest, _close_session),
}
