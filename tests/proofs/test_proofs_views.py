"""check-config's z3 question over concrete views: do any two quorums of any two views meet?"""

from __future__ import annotations

from zabkeeper.config import parse_server_config
from zabkeeper.proofs.views import View, find_disjoint_quorums

BASE = "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\nclientPort=2181\n"


def _view(label: str, servers: str) -> View:
    return View(label, parse_server_config(BASE + servers, f"{label}.cfg", require_myid=False).ensemble)


def _servers(*sids: int, observers: tuple[int, ...] = ()) -> str:
    lines = [f"server.{sid}=h{sid}:2888:3888" for sid in sids]
    lines += [f"server.{sid}=h{sid}:2888:3888:observer" for sid in observers]
    return "\n".join(lines) + "\n"


def test_identical_views_always_intersect() -> None:
    views = [_view(f"zoo{i}", _servers(1, 2, 3, 4, 5)) for i in range(1, 6)]
    assert find_disjoint_quorums(views) is None


def test_views_that_disagree_on_membership_yield_disjoint_quorums() -> None:
    old = _view("server 1 (zoo1)", _servers(1, 2, 3))
    new = _view("server 4 (zoo4)", _servers(2, 3, 4, 5, 6))
    found = find_disjoint_quorums([old, new])
    assert found is not None
    assert not found.first_quorum & found.second_quorum
    assert len(found.first_quorum) == 2 and len(found.second_quorum) == 3
    assert str(found).startswith("view of server 1 (zoo1): {")
    assert str(found).endswith("they share no server")


def test_an_observer_in_one_view_that_votes_in_another_is_caught() -> None:
    one = _view("a", _servers(1, 2, 3, observers=(4, 5)))
    other = _view("b", _servers(1, 2, 3, 4, 5))
    found = find_disjoint_quorums([one, other])
    assert found is not None
    assert found.second_quorum <= {3, 4, 5} or found.first_quorum <= {3, 4, 5}


def test_hierarchical_view_against_majority_view() -> None:
    servers = _servers(*range(1, 10))
    hierarchical = _view("h", servers + "group.1=1:2:3\ngroup.2=4:5:6\ngroup.3=7:8:9\n")
    majority = _view("m", servers)
    assert find_disjoint_quorums([hierarchical]) is None
    # Two servers in each of two groups (4 servers) is a hierarchical quorum; the other 5 are a
    # majority of 9: servers that disagree on the rule can elect two leaders.
    found = find_disjoint_quorums([hierarchical, majority])
    assert found is not None
    assert len(found.first_quorum) == 4 and len(found.second_quorum) == 5


def test_zero_weight_servers_never_count() -> None:
    servers = _servers(1, 2, 3, 4)
    weighted = _view("w", servers + "group.1=1:2:3:4\nweight.4=0\n")
    majority_of_three = _view("m", _servers(1, 2, 3))
    assert find_disjoint_quorums([weighted, majority_of_three]) is None


def test_growing_by_one_server_at_a_time_keeps_intersection() -> None:
    three = _view("three", _servers(1, 2, 3))
    four = _view("four", _servers(1, 2, 3, 4))
    assert find_disjoint_quorums([three, four]) is None
