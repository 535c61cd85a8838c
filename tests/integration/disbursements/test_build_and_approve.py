"""Building batches and maker-checker approval, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from payments.adapters.creditors import BankAccount
from payments.audit.repository import search_events
from payments.disbursements import building
from payments.disbursements.approval import (
    approve_batch,
    cancel_batch,
    hold_payout,
    place_manual_hold,
    reject_batch,
    submit_batch,
)
from payments.disbursements.repository import holds_for, payable_people, payouts_in
from payments.disbursements.snapshots import open_snapshot
from payments.errors import Conflict, RuleViolation
from payments.registry.model import PaymentInstrument
from tests.integration.disbursements.conftest import APPROVER, OFFICER, SECOND_APPROVER, THRESHOLD
from tests.support.people import enrol_person


def test_a_batch_pays_each_owed_person_once_with_a_frozen_instrument(session, owed_people, build, cipher):
    people = owed_people(3)
    (batch,) = build().batches
    payouts = payouts_in(session, batch.id)
    assert [p.beneficiary_id for p in payouts] == [b for b, _ in people]
    assert all(p.amount_vnd == 750_000 for p in payouts)
    assert batch.total_vnd == 2_250_000
    assert batch.payout_count == 3
    assert payouts[0].payout_key == f"2407-{people[0][0]:08d}-01-BTXH"
    assert open_snapshot(cipher, payouts[0])["account"] == people[0][1]
    assert payouts[0].instrument_masked["account"].endswith(people[0][1][-3:])
    assert people[0][1] not in str(payouts[0].instrument_masked)
    assert len(batch.manifest_hash) == 64


def test_a_build_walks_the_owed_a_page_at_a_time_paying_each_once(session, owed_people, build, monkeypatch):
    # Twelve people: accounts are created in code order (payable:10 before payable:2), so the
    # account order the build pages in is not the order of the people's ids.
    monkeypatch.setattr(building, "PAGE", 2)
    owed = sorted(b for b, _ in owed_people(12))
    walked, after = [], 0
    while page := payable_people(session, after_account=after, limit=2):
        walked += page
        after = page[-1][0]
    assert len({account for account, _, _ in walked}) == len(walked)  # each account once
    assert sorted(b for _, b, _ in walked if b in owed) == owed
    (batch,) = build().batches
    assert sorted(p.beneficiary_id for p in payouts_in(session, batch.id)) == owed
    assert batch.payout_count == 12


def test_building_again_leaves_out_people_already_in_an_open_batch(owed_people, build):
    owed_people(2)
    assert len(build().batches) == 1
    assert build().batches == []


def test_people_who_must_wait_are_listed_with_their_reasons(session, owed_people, build):
    (paid, _), (held, _) = owed_people(2)
    no_account, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    place_manual_hold(session, OFFICER, held, reason="family reports a move to another province")
    result = build()
    reasons = {h.beneficiary_id: [r["code"] for r in h.reasons] for h in holds_for(session, "2024-07")}
    assert reasons[held] == ["manual"]
    assert [p.beneficiary_id for p in payouts_in(session, result.batches[0].id)] == [paid]
    assert no_account not in reasons  # not accrued, so not owed: nothing to hold


def test_a_holder_name_the_bank_reports_otherwise_holds_the_payout_for_an_officer(
    session, owed_people, build, sandbox
):
    # DOMAIN rule 7, asked of the provider: everyone is "Nguyễn Thị Đào" in the registry.
    (folded_equal, first), (someone_else, second) = owed_people(2)
    bank_bin = session.scalars(select(PaymentInstrument.bank_bin)).first()
    sandbox.add_holder(BankAccount(bin=bank_bin, account_number=first, holder_name=""), "NGUYEN THI DAO")
    sandbox.add_holder(BankAccount(bin=bank_bin, account_number=second, holder_name=""), "TRAN VAN KHAC")

    result = build()

    holds = {h.beneficiary_id: h.reasons for h in holds_for(session, "2024-07")}
    assert holds == {
        someone_else: [{"code": "provider_name_mismatch", "detail": "the provider reports 'TRAN VAN KHAC'"}]
    }
    assert [p.beneficiary_id for p in payouts_in(session, result.batches[0].id)] == [folded_equal]


def test_the_maker_can_never_approve_their_own_batch(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    with pytest.raises(RuleViolation, match="maker-checker"):
        approve_batch(
            session,
            OFFICER,
            batch.id,
            manifest_seen=batch.manifest_hash,
            comment="ok",
            threshold_vnd=THRESHOLD,
        )


def test_an_approval_is_bound_to_the_manifest_the_approver_saw(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    with pytest.raises(Conflict, match="manifest hash differs"):
        approve_batch(
            session, APPROVER, batch.id, manifest_seen="0" * 64, comment="ok", threshold_vnd=THRESHOLD
        )


def test_a_large_batch_needs_two_different_approvers(session, owed_people, build):
    owed_people(8)  # 8 x 750,000 = 6,000,000 > threshold
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    assert batch.state == "pending_approval"
    (first,) = search_events(session, action="batch.approval_recorded")  # on record before the second
    assert (
        first.actor,
        first.target_id,
        first.summary["after"]["approvals"],
        first.summary["after"]["needed"],
    ) == (
        APPROVER.username,
        str(batch.id),
        1,
        2,
    )
    with pytest.raises(RuleViolation, match="already approved"):
        approve_batch(
            session,
            APPROVER,
            batch.id,
            manifest_seen=batch.manifest_hash,
            comment="again",
            threshold_vnd=THRESHOLD,
        )
    approve_batch(
        session,
        SECOND_APPROVER,
        batch.id,
        manifest_seen=batch.manifest_hash,
        comment="ok",
        threshold_vnd=THRESHOLD,
    )
    assert batch.state == "approved"


def test_a_small_batch_is_approved_by_one_approver(session, owed_people, build):
    owed_people(2)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    assert batch.state == "approved"


def test_taking_a_payout_out_after_approval_voids_the_approval(session, owed_people, build, cipher):
    owed_people(2)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    approved_manifest = batch.manifest_hash
    first = payouts_in(session, batch.id)[0]
    hold_payout(session, OFFICER, cipher, first.id, reason="bank account reported closed by the family")
    assert batch.state == "pending_approval"
    assert batch.manifest_hash != approved_manifest
    assert batch.payout_count == 1


def test_a_rejection_needs_a_comment_and_comes_from_a_checker(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    with pytest.raises(RuleViolation, match="comment"):
        reject_batch(session, APPROVER, batch.id, comment=" ")
    with pytest.raises(RuleViolation, match="maker-checker"):
        reject_batch(session, OFFICER, batch.id, comment="no")
    reject_batch(session, APPROVER, batch.id, comment="amounts look wrong for commune 22960")
    assert batch.state == "rejected"


def test_a_draft_cannot_be_approved_before_it_is_submitted(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    with pytest.raises(RuleViolation, match="not pending approval"):
        approve_batch(
            session,
            APPROVER,
            batch.id,
            manifest_seen=batch.manifest_hash,
            comment="ok",
            threshold_vnd=THRESHOLD,
        )


def test_a_cancelled_batch_frees_its_people_for_the_next_build(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    cancel_batch(session, OFFICER, batch.id, reason="built too early")
    session.commit()
    (again,) = build().batches
    assert payouts_in(session, again.id)[0].attempt == 2  # a new key, never reused
    assert payouts_in(session, again.id)[0].payout_key != payouts_in(session, batch.id)[0].payout_key


def test_the_database_refuses_to_rewrite_an_approval(session, owed_people, build):
    owed_people(1)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    session.flush()
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE batch_approvals SET approver = 'someone.else'"))
    savepoint.rollback()
