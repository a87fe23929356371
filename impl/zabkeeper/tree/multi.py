"""multi (opcode 14): prepare every op as one atomic txn, as PrepRequestProcessor does.

All ops get the multi's zxid. Each op is prepared against the effects of the ops before it; the
first that fails stops the rest: it becomes ErrorTxn(its code), every later op
ErrorTxn(RuntimeInconsistency), and the change records the earlier ops added are rolled back
(restoring the records they shadowed), so nothing of a failed multi is visible to later requests.
Apply then reports the earlier ops as 0 (RolledBack), see ``tree.apply``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.errors import KeeperError
from zabkeeper.tree.paths import split_path
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.records import (
    CheckVersionRequest,
    CheckVersionTxn,
    CreateContainerTxn,
    CreateRequest,
    CreateTTLRequest,
    CreateTTLTxn,
    CreateTxn,
    DeleteRequest,
    DeleteTxn,
    ErrorTxn,
    MultiOp,
    MultiRequest,
    MultiTxn,
    SetDataRequest,
    SetDataTxn,
    Txn,
    TxnRecord,
)

if TYPE_CHECKING:
    from zabkeeper.tree.prepare import RequestContext

PrepareOp = Callable[[int, object, "RequestContext", DataTree, PendingChanges], TxnRecord]

# The op types a multi may carry, with the request record each must hold.
MULTI_OP_RECORDS: dict[int, type] = {
    OpCode.create: CreateRequest,
    OpCode.create2: CreateRequest,
    OpCode.createContainer: CreateRequest,
    OpCode.createTTL: CreateTTLRequest,
    OpCode.delete: DeleteRequest,
    OpCode.setData: SetDataRequest,
    OpCode.check: CheckVersionRequest,
}


def is_well_formed(multi: MultiRequest) -> bool:
    """Only write ops, each with its own record (else the request is a MarshallingError)."""
    return all(isinstance(op.request, MULTI_OP_RECORDS.get(op.type, type(None))) for op in multi.ops)


def _touched_paths(ops: tuple[MultiOp, ...]) -> list[str]:
    """Each op's path and its parent: the records a rollback may have to bring back."""
    paths: list[str] = []
    for op in ops:
        paths.append(op.request.path)
        split = split_path(op.request.path)
        if split is not None:
            paths.append(split[0] or "/")
    return paths


def prepare_multi(
    multi: MultiRequest,
    context: RequestContext,
    tree: DataTree,
    pending: PendingChanges,
    prepare_op: PrepareOp,
) -> MultiTxn | ErrorTxn:
    """The MultiTxn for ``multi`` (or ErrorTxn(MarshallingError) for a malformed one)."""
    if not is_well_formed(multi):
        return ErrorTxn(Code.MARSHALLINGERROR)
    saved = pending.save(_touched_paths(multi.ops))
    txns: list[Txn] = []
    failed = False
    for op in multi.ops:
        if failed:
            txns.append(Txn(OpCode.error, ErrorTxn(Code.RUNTIMEINCONSISTENCY)))
            continue
        try:
            txn = prepare_op(op.type, op.request, context, tree, pending)
        except KeeperError as error:
            failed = True
            txns.append(Txn(OpCode.error, ErrorTxn(error.code)))
            pending.rollback(context.zxid, saved)
            continue
        assert isinstance(
            txn, CreateTxn | CreateTTLTxn | CreateContainerTxn | DeleteTxn | SetDataTxn | CheckVersionTxn
        )
        txns.append(Txn(OpCode(op.type), txn))
    return MultiTxn(tuple(txns))
