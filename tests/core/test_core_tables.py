"""Table tests for the core's pure decisions: zxid packing, quorum rules, vote order, sync plan."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zabkeeper.core.election import NO_LEADER, Vote, total_order_predicate, votes_agree
from zabkeeper.core.messages import ServerState, SyncMode
from zabkeeper.core.quorum import HierarchicalQuorum, MajorityQuorum
from zabkeeper.core.sync import SyncPlan, plan_sync
from zabkeeper.core.zxid import counter_of, epoch_of, make_zxid, zxid_hex, zxid_str

Z = make_zxid


@pytest.mark.parametrize(
    ("epoch", "counter", "packed"),
    [(0, 0, 0), (0, 1, 1), (1, 0, 1 << 32), (1, 5, (1 << 32) + 5), (0x7FFFFFFF, 0xFFFFFFFF, (1 << 63) - 1)],
)
def test_zxid_packing(epoch: int, counter: int, packed: int) -> None:
    assert make_zxid(epoch, counter) == packed
    assert (epoch_of(packed), counter_of(packed)) == (epoch, counter)


def test_zxid_spellings() -> None:
    assert zxid_hex(Z(2, 0x1F)) == "20000001f"
    assert zxid_str(Z(3, 7)) == "(3,7)"


@given(
    st.integers(0, 2**31 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**31 - 1), st.integers(0, 2**32 - 1)
)
def test_zxid_order_is_epoch_then_counter(e1: int, c1: int, e2: int, c2: int) -> None:
    assert (make_zxid(e1, c1) < make_zxid(e2, c2)) == ((e1, c1) < (e2, c2))


@pytest.mark.parametrize(
    ("voters", "present", "quorum"),
    [
        ({1}, {1}, True),
        ({1, 2, 3}, {1, 2}, True),
        ({1, 2, 3}, {3}, False),
        ({1, 2, 3, 4}, {1, 2}, False),
        ({1, 2, 3, 4}, {1, 2, 4}, True),
        ({1, 2, 3, 4, 5}, {1, 2, 3}, True),
        ({1, 2, 3, 4, 5}, {4, 5, 6, 7}, False),  # 6 and 7 are observers: they never count
    ],
)
def test_majority_quorum(voters: set[int], present: set[int], quorum: bool) -> None:
    assert MajorityQuorum(frozenset(voters)).contains_quorum(present) is quorum


def test_hierarchical_quorum_needs_a_majority_of_weighted_groups() -> None:
    groups = {1: frozenset({1, 2, 3}), 2: frozenset({4, 5, 6}), 3: frozenset({7, 8, 9})}
    rule = HierarchicalQuorum(groups, weights={})
    assert rule.contains_quorum({1, 2, 4, 5})  # two of three groups, each by majority
    assert not rule.contains_quorum({1, 2, 3, 4})  # one whole group and a minority of another
    assert not rule.contains_quorum({1, 4, 7})  # a minority everywhere


def test_hierarchical_quorum_ignores_zero_weight_servers_and_groups() -> None:
    groups = {1: frozenset({1, 2}), 2: frozenset({3, 4}), 3: frozenset({5})}
    weights = {2: 0, 5: 0}
    rule = HierarchicalQuorum(groups, weights)
    assert rule.voters == frozenset({1, 3, 4})
    assert rule.contains_quorum({1, 3, 4})  # group 3 weighs nothing, so 2 groups of 2 count
    assert not rule.contains_quorum({2, 3, 4})  # server 2 weighs nothing: group 1 is lost
    assert not rule.contains_quorum({1, 3})  # group 2 needs more than half of weight 2


@pytest.mark.parametrize(
    ("new", "current", "wins"),
    [
        ((1, Z(1, 5), 1), (2, Z(1, 5), 1), False),  # same history: the larger id wins
        ((3, Z(1, 5), 1), (2, Z(1, 5), 1), True),
        ((1, Z(1, 6), 1), (3, Z(1, 5), 1), True),  # longer history wins over a larger id
        ((1, Z(1, 2), 2), (3, Z(1, 9), 1), True),  # a newer currentEpoch wins over a longer history
        ((3, Z(1, 9), 1), (1, Z(1, 2), 2), False),
        ((2, Z(1, 5), 1), (2, Z(1, 5), 1), False),  # equal votes: nothing to adopt
        ((1, 0, 0), (NO_LEADER, NO_LEADER, NO_LEADER), True),  # anything beats an observer's empty vote
    ],
)
def test_total_order_predicate(new: tuple[int, int, int], current: tuple[int, int, int], wins: bool) -> None:
    assert total_order_predicate(new, current) is wins


def test_zero_weight_server_never_wins() -> None:
    assert not total_order_predicate((9, Z(9, 9), 9), (1, 0, 0), weight_of_new=0)


def test_votes_agree_compares_rounds_only_while_looking() -> None:
    looking = Vote(3, Z(1, 4), election_epoch=2, peer_epoch=1)
    assert votes_agree(looking, Vote(3, Z(1, 4), 2, 1))
    assert not votes_agree(looking, Vote(3, Z(1, 4), 3, 1))
    following = Vote(3, Z(1, 4), 2, 1, ServerState.FOLLOWING)
    leading = Vote(3, Z(1, 7), 5, 1, ServerState.LEADING)
    assert votes_agree(following, leading)  # settled servers agree on leader and epoch
    assert not votes_agree(following, Vote(3, Z(1, 4), 2, 2, ServerState.LEADING))


# plan_sync(peer_last_zxid, window_base, window_last, peer_zxid_held, floor_zxid, state_zxid)
@pytest.mark.parametrize(
    ("args", "plan"),
    [
        # the learner is exactly up to date: an empty DIFF
        ((Z(1, 5), 0, Z(1, 5), True, Z(1, 5), Z(1, 5)), SyncPlan(SyncMode.DIFF, Z(1, 5), Z(1, 5))),
        # slightly behind, inside the window: DIFF with what follows its last zxid
        ((Z(1, 3), 0, Z(1, 5), True, Z(1, 3), Z(1, 5)), SyncPlan(SyncMode.DIFF, Z(1, 5), Z(1, 3))),
        # an empty learner against a leader that never snapshotted: DIFF from the start
        ((0, 0, Z(1, 5), True, 0, Z(1, 5)), SyncPlan(SyncMode.DIFF, Z(1, 5), 0)),
        # ahead of the leader (an uncommitted tail): TRUNC to the leader's last
        ((Z(1, 9), 0, Z(1, 5), False, Z(1, 5), Z(1, 5)), SyncPlan(SyncMode.TRUNC, Z(1, 5), Z(1, 5))),
        # inside the window on another branch: TRUNC to the largest zxid the leader holds, then DIFF
        ((Z(1, 4), 0, Z(2, 3), False, Z(1, 3), Z(2, 3)), SyncPlan(SyncMode.TRUNC, Z(1, 3), Z(1, 3))),
        # older than the window: SNAP of the leader's state, then what follows it
        (
            (Z(1, 2), Z(1, 40), Z(1, 50), False, Z(1, 40), Z(1, 45)),
            SyncPlan(SyncMode.SNAP, Z(1, 45), Z(1, 45)),
        ),
        # exactly at the window's base: still a DIFF
        (
            (Z(1, 40), Z(1, 40), Z(1, 50), True, Z(1, 40), Z(1, 45)),
            SyncPlan(SyncMode.DIFF, Z(1, 50), Z(1, 40)),
        ),
    ],
)
def test_plan_sync(args: tuple[int, int, int, bool, int, int], plan: SyncPlan) -> None:
    assert plan_sync(*args) == plan
