"""Properties over random op sequences: replicas applying the same txns agree byte for byte
(also across processes with different hash seeds), a pipelined leader prepares exactly what a
one-at-a-time leader does, prepare+apply matches a small reference model, and snapshots restore
exactly. Each check is also run against a deliberately broken tree to show it can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_harness import TreeHarness, assert_trees_equal, round_trip

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, WORLD_ANYONE
from zabkeeper.tree.apply import apply
from zabkeeper.tree.constants import Code, OpCode, Perms
from zabkeeper.tree.datatree import DataTree, WatchTrigger
from zabkeeper.tree.prepare import PreparedTxn, WriteRequest

SESSIONS = (0x0100_0000_0000_0001, 0x0100_0000_0000_0002)
PATHS = ("/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/z", "/a/")
Op = tuple[OpCode, WriteRequest, int]

sessions = st.sampled_from(SESSIONS)
paths = st.sampled_from(PATHS)
versions = st.sampled_from((-1, -1, 0, 1, 2))
data = st.sampled_from((b"", b"x", b"yy", None))


def _create(path: str, payload: bytes | None, flags: int) -> r.CreateRequest:
    return r.CreateRequest(path, payload, OPEN_ACL_UNSAFE, flags)


creates = st.builds(_create, paths, data, st.sampled_from((0, 0, 1, 2, 3)))
simple_ops: st.SearchStrategy[Op] = st.one_of(
    st.tuples(st.just(OpCode.create), creates, sessions),
    st.tuples(st.just(OpCode.delete), st.builds(r.DeleteRequest, paths, versions), sessions),
    st.tuples(st.just(OpCode.setData), st.builds(r.SetDataRequest, paths, data, versions), sessions),
    st.tuples(st.just(OpCode.closeSession), st.just(r.CloseSessionRequest()), sessions),
)
multi_ops = st.one_of(
    st.builds(r.MultiOp, st.just(OpCode.create), creates),
    st.builds(r.MultiOp, st.just(OpCode.delete), st.builds(r.DeleteRequest, paths, versions)),
    st.builds(r.MultiOp, st.just(OpCode.setData), st.builds(r.SetDataRequest, paths, data, versions)),
    st.builds(r.MultiOp, st.just(OpCode.check), st.builds(r.CheckVersionRequest, paths, versions)),
)
all_ops: st.SearchStrategy[Op] = st.one_of(
    simple_ops,
    st.tuples(st.just(OpCode.createContainer), st.builds(_create, paths, data, st.just(4)), sessions),
    st.tuples(
        st.just(OpCode.createTTL),
        st.builds(
            r.CreateTTLRequest, paths, data, st.just(OPEN_ACL_UNSAFE), st.sampled_from((5, 6)), st.just(50)
        ),
        sessions,
    ),
    st.tuples(
        st.just(OpCode.setACL),
        st.builds(r.SetACLRequest, paths, st.just(READ_ACL_UNSAFE), versions),
        sessions,
    ),
    st.tuples(st.just(OpCode.deleteContainer), st.builds(r.DeleteContainerRequest, paths), sessions),
    st.tuples(st.just(OpCode.createSession), st.builds(r.CreateSessionTxn, st.just(30_000)), sessions),
    st.tuples(
        st.just(OpCode.multi), st.builds(r.MultiRequest, st.lists(multi_ops, max_size=4).map(tuple)), sessions
    ),
)


def run_leader(ops: list[Op], tree: DataTree | None = None) -> tuple[TreeHarness, list[PreparedTxn]]:
    """Prepare and apply each op in turn, as a standalone leader; returns the txn log."""
    harness = TreeHarness(tree=tree if tree is not None else DataTree())
    log: list[PreparedTxn] = []
    for op, request, session_id in ops:
        prepared = harness.prepare(op, request, session_id)
        harness.commit(prepared)
        log.append(prepared)
    return harness, log


def replay(log: list[PreparedTxn], tree: DataTree | None = None) -> tuple[DataTree, list[object]]:
    tree = tree if tree is not None else DataTree()
    results = [apply(tree, prepared.header, prepared.txn) for prepared in log]
    return tree, results


@settings(max_examples=150, deadline=None)
@given(st.lists(all_ops, max_size=40))
def test_replicas_applying_the_same_txns_agree(ops: list[Op]) -> None:
    leader, log = run_leader(ops)
    follower, _ = replay(log)
    other, _ = replay(log)
    assert_trees_equal(leader.tree, follower)
    assert_trees_equal(follower, other)


@settings(max_examples=100, deadline=None)
@given(st.lists(all_ops, max_size=40), st.integers(min_value=0, max_value=40))
def test_snapshot_plus_log_equals_the_original(ops: list[Op], cut: int) -> None:
    leader, log = run_leader(ops)
    cut = min(cut, len(log))
    partial, _ = replay(log[:cut])
    restored = round_trip(partial)
    assert_trees_equal(partial, restored)
    finished, _ = replay(log[cut:], restored)
    assert_trees_equal(leader.tree, finished)


@settings(max_examples=300, deadline=None)
@given(st.lists(all_ops, max_size=30), st.lists(st.booleans(), max_size=60))
def test_pipelined_prepare_matches_one_at_a_time(ops: list[Op], schedule: list[bool]) -> None:
    """Prepare ahead of apply by a random amount: same txns, same results, same tree."""
    _, sequential_log = run_leader(ops)
    pipelined = TreeHarness()
    in_flight: list[PreparedTxn] = []
    log: list[PreparedTxn] = []
    queue = list(ops)
    steps = iter(schedule)
    while queue or in_flight:
        prepare_next = next(steps, True) if queue else False
        if prepare_next or not in_flight:
            op, request, session_id = queue.pop(0)
            prepared = pipelined.prepare(op, request, session_id)
            in_flight.append(prepared)
            log.append(prepared)
        else:
            pipelined.commit(in_flight.pop(0))
    assert log == sequential_log
    assert len(pipelined.pending) == 0


# --- a reference model for create / delete / setData / closeSession -----------------------------


@dataclass
class ModelNode:
    data: bytes | None
    owner: int
    version: int = 0
    creates: int = 0  # child creations: the sequential suffix
    child_changes: int = 0  # child creations and deletions: the cversion clients see
    children: set[str] = field(default_factory=set)


def model_parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class Model:
    def __init__(self) -> None:
        self.nodes: dict[str, ModelNode] = {"/": ModelNode(b"", 0, creates=0, child_changes=-1)}

    def create(self, request: r.CreateRequest, session_id: int) -> Code:
        parent = self.nodes.get(model_parent(request.path))
        if request.path == "/a/" and request.flags & 2 == 0:
            return Code.BADARGUMENTS if parent is not None else Code.NONODE
        if parent is None:
            return Code.NONODE
        path = request.path + f"{parent.creates:010d}" if request.flags & 2 else request.path
        if path in self.nodes:
            return Code.NODEEXISTS
        if parent.owner != 0:
            return Code.NOCHILDRENFOREPHEMERALS
        self.nodes[path] = ModelNode(request.data, session_id if request.flags & 1 else 0)
        parent.children.add(path)
        parent.creates += 1
        parent.child_changes += 1
        return Code.OK

    def remove(self, path: str) -> None:
        del self.nodes[path]
        parent = self.nodes[model_parent(path)]
        parent.children.discard(path)
        parent.child_changes += 1

    def delete(self, request: r.DeleteRequest) -> Code:
        if request.path == "/a/":
            return Code.NONODE
        node = self.nodes.get(request.path)
        if node is None:
            return Code.NONODE
        if request.version not in (-1, node.version):
            return Code.BADVERSION
        if node.children:
            return Code.NOTEMPTY
        self.remove(request.path)
        return Code.OK

    def set_data(self, request: r.SetDataRequest) -> Code:
        if request.path == "/a/":
            return Code.BADARGUMENTS
        node = self.nodes.get(request.path)
        if node is None:
            return Code.NONODE
        if request.version not in (-1, node.version):
            return Code.BADVERSION
        node.data = request.data
        node.version += 1
        return Code.OK

    def close(self, session_id: int) -> Code:
        for path in sorted(p for p, node in self.nodes.items() if node.owner == session_id):
            self.remove(path)
        return Code.OK

    def step(self, op: OpCode, request: WriteRequest, session_id: int) -> Code:
        if isinstance(request, r.CreateRequest):
            return self.create(request, session_id)
        if isinstance(request, r.DeleteRequest):
            return self.delete(request)
        if isinstance(request, r.SetDataRequest):
            return self.set_data(request)
        assert op == OpCode.closeSession
        return self.close(session_id)


def check_against_model(ops: list[Op], tree: DataTree) -> None:
    harness = TreeHarness(tree=tree)
    model = Model()
    for op, request, session_id in ops:
        expected = model.step(op, request, session_id)
        assert harness.write(op, request, session_id).err == expected, (op, request)
        user_paths = sorted(p for p in harness.tree.nodes if not p.startswith("/zookeeper"))
        assert user_paths == sorted(model.nodes), (op, request)
        for path, node in model.nodes.items():
            stat = harness.stat(path)
            assert harness.tree.nodes[path].data == node.data, path
            assert stat.version == node.version, path
            assert stat.num_children == len(node.children) + (1 if path == "/" else 0), path
            assert stat.cversion == node.child_changes, path
            assert stat.ephemeral_owner == node.owner, path


@settings(max_examples=150, deadline=None)
@given(st.lists(simple_ops, max_size=40))
def test_prepare_and_apply_match_the_reference_model(ops: list[Op]) -> None:
    check_against_model(ops, DataTree())


# --- the checks above can fail ------------------------------------------------------------------


class CversionForgettingTree(DataTree):
    """Broken on purpose: a delete does not count as a child change for the parent."""

    def delete_node(self, path: str, zxid: int, triggers: list[WatchTrigger]) -> Code:
        parent = self.nodes.get(path.rsplit("/", 1)[0] or "/")
        before = None if parent is None else parent.cversion
        err = super().delete_node(path, zxid, triggers)
        if err == Code.OK and parent is not None and before is not None:
            parent.cversion += 1  # skews cversion * 2 - numChildren by two
        return err


class ChildOrderShufflingTree(DataTree):
    """Broken on purpose: children are stored in reverse order on some replicas."""

    def create_node(self, path: str, *args: object, **kwargs: object) -> Code:
        err = super().create_node(path, *args, **kwargs)
        parent = self.nodes.get(path.rsplit("/", 1)[0] or "/")
        if err == Code.OK and parent is not None:
            parent.children = dict.fromkeys(reversed(list(parent.children)))
        return err


def test_model_check_catches_a_broken_tree() -> None:
    ops: list[Op] = [
        (OpCode.create, _create("/a", b"", 0), SESSIONS[0]),
        (OpCode.create, _create("/a/x", b"", 0), SESSIONS[0]),
        (OpCode.delete, r.DeleteRequest("/a/x", -1), SESSIONS[0]),
    ]
    check_against_model(ops, DataTree())
    with pytest.raises(AssertionError):
        check_against_model(ops, CversionForgettingTree())


def test_replica_check_catches_divergent_child_order() -> None:
    ops: list[Op] = [(OpCode.create, _create(p, b"", 0), SESSIONS[0]) for p in ("/a", "/a/x", "/a/y")]
    _, log = run_leader(ops)
    good, _ = replay(log)
    bad, _ = replay(log, ChildOrderShufflingTree())
    with pytest.raises(AssertionError):
        assert_trees_equal(good, bad)


def test_tree_comparison_notices_any_single_field() -> None:
    ops: list[Op] = [
        (OpCode.createSession, r.CreateSessionTxn(5000), SESSIONS[0]),
        (OpCode.create, _create("/a", b"d", 1), SESSIONS[0]),
        (OpCode.createContainer, _create("/c", b"", 4), SESSIONS[0]),
    ]
    leader, _ = run_leader(ops)
    for corrupt in (
        lambda t: setattr(t.nodes["/a"], "mtime", 7),
        lambda t: setattr(t.nodes["/a"], "data", b"e"),
        lambda t: setattr(t.nodes["/a"], "acl", READ_ACL_UNSAFE),
        lambda t: setattr(t.nodes["/"], "pzxid", 99),
        lambda t: t.ephemerals.clear(),
        lambda t: t.containers.clear(),
        lambda t: t.sessions.clear(),
        lambda t: setattr(t, "last_processed_zxid", 0),
    ):
        copy = round_trip(leader.tree)
        assert_trees_equal(leader.tree, copy)
        corrupt(copy)
        with pytest.raises(AssertionError):
            assert_trees_equal(leader.tree, copy)


# --- determinism across processes ---------------------------------------------------------------

REPLAY_SCRIPT = """
import json, random, sys
sys.path.insert(0, {tests_dir!r})
from test_tree_properties import SESSIONS, _create, run_leader
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.snapshot import snapshot_nodes
rng = random.Random(7)
names = ["/n%d" % i for i in range(30)]
ops = []
for step in range(400):
    path = rng.choice(names) + rng.choice(["", "/k", "/k/j"])
    kind = rng.randrange(4)
    if kind == 0:
        ops.append((OpCode.create, _create(path, b"v", rng.choice([0, 1, 2, 3])), rng.choice(SESSIONS)))
    elif kind == 1:
        ops.append((OpCode.delete, r.DeleteRequest(path, -1), SESSIONS[0]))
    elif kind == 2:
        ops.append((OpCode.setData, r.SetDataRequest(path, b"w", -1), SESSIONS[1]))
    else:
        ops.append((OpCode.closeSession, r.CloseSessionRequest(), rng.choice(SESSIONS)))
harness, log = run_leader(ops)
print(json.dumps([harness.tree.digest(), [n.path for n in snapshot_nodes(harness.tree)], repr(log[-50:])]))
"""


def test_digest_and_snapshot_order_do_not_depend_on_hash_seeds() -> None:
    tests_dir = str(Path(__file__).parent)
    script = REPLAY_SCRIPT.format(tests_dir=tests_dir)
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        completed = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=True
        )
        outputs.append(json.loads(completed.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0][1]) > 4


def test_digest_ignores_how_numbers_are_typed() -> None:
    """A follower's tree, built from decoded bytes (plain ints), hashes like the leader's (whose
    client may have handed it Perms flags)."""
    flags_acl = (r.ACL(Perms.ALL, WORLD_ANYONE),)
    leader, _ = run_leader([(OpCode.create, r.CreateRequest("/a", b"", flags_acl, 0), SESSIONS[0])])
    decoded = round_trip(leader.tree)
    node = decoded.nodes["/a"]
    node.acl = tuple(r.ACL(int(entry.perms), entry.id) for entry in node.acl)
    assert type(node.acl[0].perms) is int and type(leader.tree.nodes["/a"].acl[0].perms) is not int
    assert decoded.digest() == leader.tree.digest()


def test_invariant_check_catches_inconsistent_indexes() -> None:
    leader, _ = run_leader(
        [
            (OpCode.create, _create("/a", b"", 1), SESSIONS[0]),
            (OpCode.createContainer, _create("/c", b"", 4), SESSIONS[0]),
        ]
    )
    leader.tree.check_invariants()
    for corrupt in (
        lambda t: t.ephemerals.clear(),
        lambda t: t.containers.clear(),
        lambda t: t.nodes["/"].children.pop("a"),
        lambda t: t.nodes["/a"].children.update({"ghost": None}),
        lambda t: setattr(t.nodes["/c"], "ephemeral_owner", 0),
    ):
        broken = round_trip(leader.tree)
        corrupt(broken)
        with pytest.raises(AssertionError):
            broken.check_invariants()
