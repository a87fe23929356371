"""Txn apply: DataTree.processTxn plus the response FinalRequestProcessor builds from it.

``apply(tree, header, txn)`` is the replicated state machine's transition: a deterministic
function of the tree and the txn (its time and zxid come from the header, never from a clock), so
every server that applies the same committed txns in zxid order holds the same tree. It returns
the reply the client gets (error code and response record) and the watch triggers the txn fired,
as data; it never calls out.

Apply trusts prepare: it re-checks only what keeps the tree well formed (the parent exists, the
node is absent/present, no children are orphaned) and reports a failure as the op's error code
without touching the tree, exactly where ZooKeeper's processTxn reports a KeeperException.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, Code, OpCode, ttl_ephemeral_owner
from zabkeeper.tree.datatree import DataTree, WatchTrigger
from zabkeeper.tree.records import (
    CheckVersionTxn,
    CloseSessionTxn,
    Create2Response,
    CreateContainerTxn,
    CreateResponse,
    CreateSessionTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorResponse,
    ErrorTxn,
    GetDataResponse,
    MultiResponse,
    MultiResult,
    MultiTxn,
    SetACLResponse,
    SetACLTxn,
    SetDataResponse,
    SetDataTxn,
    TxnHeader,
    TxnRecord,
)

Response = (
    CreateResponse | Create2Response | SetDataResponse | SetACLResponse | GetDataResponse | MultiResponse
)

# Result types of multi ops (MultiResponse): creates other than plain create report as create2.
_MULTI_RESULT_TYPE = {
    OpCode.create: OpCode.create,
    OpCode.create2: OpCode.create2,
    OpCode.createTTL: OpCode.create2,
    OpCode.createContainer: OpCode.create2,
    OpCode.delete: OpCode.delete,
    OpCode.deleteContainer: OpCode.delete,
    OpCode.setData: OpCode.setData,
    OpCode.check: OpCode.check,
}


class ApplyResult(NamedTuple):
    """The outcome of one txn: the reply header's ``err`` and the response body (None when the
    op has none or failed), and the watch triggers in the order ZooKeeper fires them."""

    zxid: int
    err: Code
    response: Response | None
    triggers: tuple[WatchTrigger, ...]


def apply(tree: DataTree, header: TxnHeader, txn: TxnRecord | None) -> ApplyResult:
    """Apply one committed txn to ``tree`` (DataTree.processTxn)."""
    triggers: list[WatchTrigger] = []
    response: Response | None
    if header.type == OpCode.multi:
        assert isinstance(txn, MultiTxn), txn
        err, response = Code.OK, _apply_multi(tree, header, txn, triggers)
    else:
        err, response = _apply_one(tree, header, header.type, txn, triggers)
    if header.zxid > tree.last_processed_zxid:
        tree.last_processed_zxid = header.zxid
    return ApplyResult(header.zxid, err, response if err == Code.OK else None, tuple(triggers))


def _apply_one(
    tree: DataTree, header: TxnHeader, op: int, txn: TxnRecord | None, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    applier = _APPLIERS.get(type(txn))
    if applier is None:
        raise AssertionError(f"txn {txn!r} does not fit header type {op}")
    return applier(tree, header, op, txn, triggers)


def _apply_create(
    tree: DataTree,
    header: TxnHeader,
    op: int,
    txn: CreateTxn | CreateTTLTxn | CreateContainerTxn,
    triggers: list[WatchTrigger],
) -> tuple[Code, Response | None]:
    if isinstance(txn, CreateTxn):
        assert op in (OpCode.create, OpCode.create2), op
        owner = header.client_id if txn.ephemeral else 0
    elif isinstance(txn, CreateTTLTxn):
        assert op == OpCode.createTTL, op
        owner = ttl_ephemeral_owner(txn.ttl)
    else:
        assert op == OpCode.createContainer, op
        owner = CONTAINER_EPHEMERAL_OWNER
    err = tree.create_node(
        txn.path, txn.data, txn.acl, owner, txn.parent_cversion, header.zxid, header.time, triggers
    )
    if err != Code.OK:
        return err, None
    if op == OpCode.create:
        return err, CreateResponse(txn.path)
    return err, Create2Response(txn.path, tree.nodes[txn.path].stat())


def _apply_delete(
    tree: DataTree, header: TxnHeader, op: int, txn: DeleteTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    assert op in (OpCode.delete, OpCode.deleteContainer), op
    return tree.delete_node(txn.path, header.zxid, triggers), None


def _apply_set_data(
    tree: DataTree, header: TxnHeader, op: int, txn: SetDataTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    assert op in (OpCode.setData, OpCode.reconfig), op
    err = tree.set_data(txn.path, txn.data, txn.version, header.zxid, header.time, triggers)
    if err != Code.OK:
        return err, None
    stat = tree.nodes[txn.path].stat()
    if op == OpCode.reconfig:
        return err, GetDataResponse(txn.data, stat)
    return err, SetDataResponse(stat)


def _apply_set_acl(
    tree: DataTree, header: TxnHeader, op: int, txn: SetACLTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    err = tree.set_acl(txn.path, txn.acl, txn.version)
    return err, SetACLResponse(tree.nodes[txn.path].stat()) if err == Code.OK else None


def _apply_check(
    tree: DataTree, header: TxnHeader, op: int, txn: CheckVersionTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    # Standalone check answers like setData (3.8.0 crashed here); inside multi: no record.
    node = tree.get_node(txn.path)
    return (Code.OK, SetDataResponse(node.stat())) if node is not None else (Code.NONODE, None)


def _apply_create_session(
    tree: DataTree, header: TxnHeader, op: int, txn: CreateSessionTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    tree.sessions[header.client_id] = txn.time_out
    return Code.OK, None


def _apply_close_session(
    tree: DataTree, header: TxnHeader, op: int, txn: CloseSessionTxn | None, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    if txn is None and op != OpCode.closeSession:
        raise AssertionError(f"no txn record for header type {op}")
    paths = txn.paths2_delete if txn is not None else ()
    tree.kill_session(header.client_id, header.zxid, paths, triggers)
    return Code.OK, None


def _apply_error(
    tree: DataTree, header: TxnHeader, op: int, txn: ErrorTxn, triggers: list[WatchTrigger]
) -> tuple[Code, Response | None]:
    return Code(txn.err), None


_Applier = Callable[[DataTree, TxnHeader, int, Any, list[WatchTrigger]], tuple[Code, "Response | None"]]
# Each txn record's apply (a closeSession logged without a body arrives as None).
_APPLIERS: dict[type, _Applier] = {
    CreateTxn: _apply_create,
    CreateTTLTxn: _apply_create,
    CreateContainerTxn: _apply_create,
    DeleteTxn: _apply_delete,
    SetDataTxn: _apply_set_data,
    SetACLTxn: _apply_set_acl,
    CheckVersionTxn: _apply_check,
    CreateSessionTxn: _apply_create_session,
    CloseSessionTxn: _apply_close_session,
    type(None): _apply_close_session,
    ErrorTxn: _apply_error,
}


def _apply_multi(
    tree: DataTree, header: TxnHeader, txn: MultiTxn, triggers: list[WatchTrigger]
) -> MultiResponse:
    """Apply the ops of a multi in order. A multi that failed in prepare carries an ErrorTxn for
    every op from the failing one on; then no op is applied and the ones before it report 0
    (RolledBack to clients), the ones after RuntimeInconsistency, as ZooKeeper does."""
    failed = any(sub.type == OpCode.error for sub in txn.txns)
    results: list[MultiResult] = []
    seen_error = False
    for sub in txn.txns:
        op, record = sub.type, sub.txn
        if sub.type == OpCode.error:
            seen_error = True
        elif failed:
            op = OpCode.error
            record = ErrorTxn(Code.RUNTIMEINCONSISTENCY if seen_error else Code.OK)
        sub_header = TxnHeader(header.client_id, header.cxid, header.zxid, header.time, op)
        err, response = _apply_one(tree, sub_header, op, record, triggers)
        results.append(_multi_result(op, err, response))
    return MultiResponse(tuple(results))


def _multi_result(op: int, err: Code, response: Response | None) -> MultiResult:
    if op == OpCode.error or err != Code.OK:
        return MultiResult(OpCode.error, err, ErrorResponse(err))
    result_type = _MULTI_RESULT_TYPE[OpCode(op)]
    if result_type in (OpCode.delete, OpCode.check):
        return MultiResult(result_type, Code.OK, None)
    assert isinstance(response, CreateResponse | Create2Response | SetDataResponse), response
    return MultiResult(result_type, Code.OK, response)
