"""Every proof holds, and every weakened variant is refuted with the counterexample we expect."""

from __future__ import annotations

import pytest

from zabkeeper.proofs import PROOFS, WEAKENED, Proof, as_expected


@pytest.mark.parametrize("proof", PROOFS, ids=[proof.name for proof in PROOFS])
def test_proof_holds(proof: Proof) -> None:
    result = proof.execute()
    assert result.holds, result.report()
    assert result.obligations_checked > 0


# Where each weakened variant must break, and a fragment its counterexample must show.
EXPECTED_FAILURES = {
    "majority-at-least-half": ("conclusion", "|Q1 and Q2|=0"),
    "hierarchical-negative-weight": ("in-group: step", "has weight -1"),
    "hierarchical-half-group": ("composition", "no common server"),
    "reconfig-new-only": ("meets every old quorum", "they share no voter"),
    "quorum-code-broken": ("code agrees with the rule", "the code and the rule disagree"),
    "zxid-counter-overflow": ("order", "packs to zxid"),
    "zxid-wrong-shift": ("make_zxid equals the packed model", "epoch="),
    "zab-accept-older-epoch": ("FollowerProcessLEADERINFO preserves currentEpoch <= acceptedEpoch", "step: "),
    "zab-accept-equal-epoch": ("FollowerProcessLEADERINFO preserves one counted ACKEPOCH", "step: "),
    "zab-leadership-without-one-ack-per-epoch": ("LeaderProcessACKEPOCH", "step: LeaderProcessACKEPOCH"),
    "zab-log-out-of-order": (
        "FollowerProcessPROPOSAL preserves a node's history is a prefix",
        "step: Follower",
    ),
    "zab-sanity-dead-action": ("guard of FollowerProcessLEADERINFO", "can never hold"),
    "zab-any-initial-history": ("LeaderProcessACKEPOCH preserves choosable", "step: LeaderProcessACKEPOCH"),
    "zab-propose-in-discovery": ("FollowerProcessPROPOSAL", "step: FollowerProcessPROPOSAL"),
}


def test_every_weakened_variant_has_an_expectation() -> None:
    assert set(EXPECTED_FAILURES) == {proof.name for proof in WEAKENED}


@pytest.mark.parametrize("proof", WEAKENED, ids=[proof.name for proof in WEAKENED])
def test_weakened_variant_is_refuted_with_a_counterexample(proof: Proof) -> None:
    result = proof.execute()
    assert as_expected(proof, result), result.report()
    obligation, shown = EXPECTED_FAILURES[proof.name]
    assert result.failed_obligation is not None and obligation in result.failed_obligation, result.report()
    assert result.counterexample is not None and shown in result.counterexample, result.report()
    assert "REFUTED" in result.report()


def test_a_proof_that_does_not_hold_is_not_as_expected() -> None:
    weakened = next(proof for proof in WEAKENED if proof.name == "majority-at-least-half")
    as_if_required = Proof(weakened.name, weakened.run)
    assert not as_expected(as_if_required, as_if_required.execute())
