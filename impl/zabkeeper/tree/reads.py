"""Reads and watch requests: answered by the server a client is connected to, from its own tree.

These ops make no txn (FinalRequestProcessor answers them directly): exists, getData,
getChildren(2), getACL, getAllChildrenNumber, getEphemerals, whoAmI, multiRead, sync, and the
watch bookkeeping ops checkWatches, removeWatches, addWatch, setWatches(2). ``read`` returns the
reply (error code and record) and records watches in the WatchManager under ``watcher``.

Checks follow ZooKeeper, quirks included: reads do not validate paths (a malformed path just
does not exist) except exists, which rejects NUL; exists on a missing node still arms the watch,
getData/getChildren on a missing node do not; getACL needs READ or ADMIN and masks digest ids
without ADMIN; getEphemerals needs no permission. Unknown watch types and modes (for watch
types: anything but 3.8's Children, Data and Any) are MarshallingErrors, as an exception in
ZooKeeper's request handling becomes one.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.tree import acl as acls
from zabkeeper.tree.constants import AddWatchMode, Code, OpCode, WatcherType
from zabkeeper.tree.datatree import DataNode, DataTree
from zabkeeper.tree.errors import KeeperError
from zabkeeper.tree.records import (
    AddWatchRequest,
    CheckWatchesRequest,
    ErrorResponse,
    ExistsRequest,
    ExistsResponse,
    GetACLRequest,
    GetACLResponse,
    GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse,
    GetChildren2Request,
    GetChildren2Response,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    GetEphemeralsRequest,
    GetEphemeralsResponse,
    Id,
    MultiReadRequest,
    MultiResponse,
    MultiResult,
    RemoveWatchesRequest,
    SetWatches,
    SetWatches2,
    SyncRequest,
    SyncResponse,
    WhoAmIRequest,
    WhoAmIResponse,
)
from zabkeeper.tree.watches import Watcher, WatchManager, WatchNotification

ReadRequest = (
    ExistsRequest
    | GetDataRequest
    | GetChildrenRequest
    | GetChildren2Request
    | GetACLRequest
    | GetAllChildrenNumberRequest
    | GetEphemeralsRequest
    | WhoAmIRequest
    | MultiReadRequest
    | SyncRequest
    | CheckWatchesRequest
    | RemoveWatchesRequest
    | AddWatchRequest
    | SetWatches
    | SetWatches2
)
ReadResponse = (
    ExistsResponse
    | GetDataResponse
    | GetChildrenResponse
    | GetChildren2Response
    | GetACLResponse
    | GetAllChildrenNumberResponse
    | GetEphemeralsResponse
    | WhoAmIResponse
    | MultiResponse
    | SyncResponse
    | ErrorResponse
)


@dataclass(frozen=True, slots=True)
class ReadContext:
    session_id: int
    auth_ids: tuple[Id, ...]
    skip_acl: bool = False


@dataclass(frozen=True, slots=True)
class ReadResult:
    """The reply (``err`` and, when OK and the op has one, ``response``) and the notifications a
    setWatches fires at once (always empty for other ops)."""

    err: Code
    response: ReadResponse | None
    notifications: tuple[WatchNotification, ...] = ()


def read(
    op: OpCode,
    request: ReadRequest,
    context: ReadContext,
    tree: DataTree,
    watches: WatchManager,
    watcher: Watcher,
) -> ReadResult:
    """Answer one read or watch request."""
    try:
        if op in (OpCode.setWatches, OpCode.setWatches2) and isinstance(request, SetWatches | SetWatches2):
            fired = watches.set_watches(watcher, _as_set_watches2(request), tree)
            return ReadResult(Code.OK, None, tuple(fired))
        if op == OpCode.multiRead and isinstance(request, MultiReadRequest):
            return ReadResult(Code.OK, _multi_read(request, context, tree, watches, watcher))
        return ReadResult(Code.OK, _read_one(op, request, context, tree, watches, watcher))
    except KeeperError as error:
        return ReadResult(error.code, None)


def _as_set_watches2(request: SetWatches | SetWatches2) -> SetWatches2:
    if isinstance(request, SetWatches2):
        return request
    return SetWatches2(
        request.relative_zxid, request.data_watches, request.exist_watches, request.child_watches, (), ()
    )


def _readable(tree: DataTree, path: str, context: ReadContext, perm: int = acls.READ) -> DataNode:
    node = tree.get_node(path)
    if node is None:
        raise KeeperError(Code.NONODE)
    if not acls.check_acl(node.acl, perm, context.auth_ids, context.skip_acl):
        raise KeeperError(Code.NOAUTH)
    return node


def _read_one(
    op: OpCode,
    request: object,
    context: ReadContext,
    tree: DataTree,
    watches: WatchManager,
    watcher: Watcher,
) -> ReadResponse | None:
    if op == OpCode.exists and isinstance(request, ExistsRequest):
        if "\0" in request.path:
            raise KeeperError(Code.BADARGUMENTS)
        if request.watch:
            watches.add_data_watch(request.path, watcher)
        node = tree.get_node(request.path)
        if node is None:
            raise KeeperError(Code.NONODE)
        return ExistsResponse(node.stat())
    if op == OpCode.getData and isinstance(request, GetDataRequest):
        node = _readable(tree, request.path, context)
        if request.watch:
            watches.add_data_watch(request.path, watcher)
        return GetDataResponse(node.data, node.stat())
    if op in (OpCode.getChildren, OpCode.getChildren2) and isinstance(
        request, GetChildrenRequest | GetChildren2Request
    ):
        node = _readable(tree, request.path, context)
        if request.watch:
            watches.add_child_watch(request.path, watcher)
        if op == OpCode.getChildren:
            return GetChildrenResponse(tuple(node.children))
        return GetChildren2Response(tuple(node.children), node.stat())
    if op == OpCode.getACL and isinstance(request, GetACLRequest):
        node = _readable(tree, request.path, context, acls.READ | acls.ADMIN)
        admin = acls.check_acl(node.acl, acls.ADMIN, context.auth_ids, context.skip_acl)
        return GetACLResponse(node.acl if admin else acls.masked_for_reader(node.acl), node.stat())
    if op == OpCode.getAllChildrenNumber and isinstance(request, GetAllChildrenNumberRequest):
        _readable(tree, request.path, context)
        return GetAllChildrenNumberResponse(tree.all_children_number(request.path))
    if op == OpCode.getEphemerals and isinstance(request, GetEphemeralsRequest):
        owned = tree.get_ephemerals(context.session_id)
        prefix = request.prefix_path
        if prefix.strip() not in ("", "/"):
            owned = tuple(path for path in owned if path.startswith(prefix))
        return GetEphemeralsResponse(owned)
    if op == OpCode.whoAmI and isinstance(request, WhoAmIRequest):
        return WhoAmIResponse(acls.client_info(context.auth_ids))
    if op == OpCode.sync and isinstance(request, SyncRequest):
        return SyncResponse(request.path)
    return _watch_op(op, request, watches, watcher)


# The types checkWatches / removeWatches take in ZooKeeper 3.8 (3.9 adds Persistent and
# PersistentRecursive); 3.8 answers any other with MarshallingError.
_WATCHER_TYPES_3_8 = {int(t): t for t in (WatcherType.Children, WatcherType.Data, WatcherType.Any)}


def _watch_op(op: OpCode, request: object, watches: WatchManager, watcher: Watcher) -> ReadResponse | None:
    if op in (OpCode.checkWatches, OpCode.removeWatches) and isinstance(
        request, CheckWatchesRequest | RemoveWatchesRequest
    ):
        watcher_type = _WATCHER_TYPES_3_8.get(request.type)
        if watcher_type is None:
            raise KeeperError(Code.MARSHALLINGERROR)
        if op == OpCode.checkWatches:
            found = watches.contains(request.path, watcher_type, watcher)
        else:
            found = watches.remove(request.path, watcher_type, watcher)
        if not found:
            raise KeeperError(Code.NOWATCHER)
        return None
    if op == OpCode.addWatch and isinstance(request, AddWatchRequest):
        try:
            mode = AddWatchMode(request.mode)
        except ValueError:
            raise KeeperError(Code.MARSHALLINGERROR) from None
        watches.add_watch(request.path, watcher, mode)
        return ErrorResponse(Code.OK)
    raise KeeperError(Code.MARSHALLINGERROR)


def _multi_read(
    request: MultiReadRequest, context: ReadContext, tree: DataTree, watches: WatchManager, watcher: Watcher
) -> MultiResponse:
    """multiRead: each op succeeds or fails on its own (not atomic)."""
    if not all(
        (op.type == OpCode.getData and isinstance(op.request, GetDataRequest))
        or (op.type == OpCode.getChildren and isinstance(op.request, GetChildrenRequest))
        for op in request.ops
    ):
        raise KeeperError(Code.MARSHALLINGERROR)
    results: list[MultiResult] = []
    for op in request.ops:
        try:
            response = _read_one(op.type, op.request, context, tree, watches, watcher)
        except KeeperError as error:
            results.append(MultiResult(OpCode.error, error.code, ErrorResponse(error.code)))
            continue
        assert isinstance(response, GetDataResponse | GetChildrenResponse), response
        results.append(MultiResult(op.type, Code.OK, response))
    return MultiResponse(tuple(results))
