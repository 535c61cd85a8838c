"""`payments batches retry BATCH_ID --as USER`: the follow-up's payouts and total, and who is held."""

from payments.cli import cli
from payments.disbursements.approval import place_manual_hold
from payments.security.services import create_user
from tests.support.batches import dispatched_with_rejections, owed_july
from tests.support.people import OFFICER


def _batches(app, *args: str):
    return app.test_cli_runner().invoke(cli, ["batches", *args])


def test_the_command_builds_the_follow_up_and_prints_its_total_and_the_holds(app, session, session_factory):
    (first, first_account), (_, _), (held, held_account) = owed_july(session, session_factory, 3)
    batch = dispatched_with_rejections(app, session, [first_account, held_account])
    place_manual_hold(session, OFFICER, held, reason="family reports a move to another province")
    create_user(session, OFFICER, "officer.thu", ["officer"])
    session.commit()

    result = _batches(app, "retry", str(batch.id), "--as", "officer.thu")

    assert result.exit_code == 0, result.output
    built, summary, hold = result.output.splitlines()
    assert built.endswith("2024-07 BTXH via sandbox: draft, 1 payouts, 750.000 ₫")
    assert summary == f"retrying 1 failed payouts of batch {batch.id}: 750.000 ₫; 1 held for an officer"
    assert (
        hold == f"  held: beneficiary {held}, 750.000 ₫: manual (family reports a move to another province)"
    )
    assert f"beneficiary {first}" not in result.output


def test_a_second_run_builds_no_second_follow_up(app, session, session_factory):
    people = owed_july(session, session_factory, 2)
    batch = dispatched_with_rejections(app, session, [people[0][1]])
    assert _batches(app, "retry", str(batch.id)).exit_code == 0
    again = _batches(app, "retry", str(batch.id))
    assert again.exit_code == 2
    assert "refused: batch" in again.output
    assert "of its 1 failed payouts, 1 already followed up" in again.output


def test_refusals_exit_non_zero_with_the_reason(app):
    result = _batches(app, "retry", "424242")
    assert result.exit_code == 2
    assert "refused: batch 424242 does not exist" in result.output


def test_the_holds_command_lists_who_was_held_for_a_period_and_why(app, session, session_factory):
    (_, _), (held, _) = owed_july(session, session_factory, 2)
    place_manual_hold(session, OFFICER, held, reason="identity to be confirmed at the commune")
    session.commit()
    assert _batches(app, "build", "2024-07").exit_code == 0

    result = _batches(app, "holds", "2024-07")

    assert result.exit_code == 0, result.output
    line, total = result.output.splitlines()
    assert line == f"  held: beneficiary {held}, 750.000 ₫: manual (identity to be confirmed at the commune)"
    assert total == "1 held for 2024-07: 750.000 ₫"
    assert _batches(app, "holds", "2024-06").output.strip() == "nobody was held for 2024-06"
