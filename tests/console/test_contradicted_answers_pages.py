"""A contradicting answer reaches finance staff where they already work: the console's queue
(filtered by its class) and the API's list, without any change to either; and it is resolved
there like any other exception."""

from sqlalchemy import select

from payments.adapters.vocabulary import PayoutStatus
from payments.clock import utcnow
from payments.context import Actor
from payments.disbursements.answers import Answer
from payments.disbursements.claims import record_answers
from payments.disbursements.model import Batch, Payout
from payments.reconcile import exceptions
from tests.conftest import bearer
from tests.console.support import post_form

KIND = "CONTRADICTED_ANSWER"


def _contradicted(session_factory, session, batch_id: int) -> Payout:
    """The first payout of the batch is accepted; a rival dispatcher's answer, recorded after
    that, says the bank rejected it."""
    payout = session.scalars(select(Payout).where(Payout.batch_id == batch_id).order_by(Payout.id)).first()
    assert payout.state == "accepted"
    with session_factory() as other, other.begin():
        said = Answer(payout.payout_key, PayoutStatus.REJECTED, "AC04", "account closed")
        actor = Actor("dispatcher", "system")
        record_answers(other, other.get(Batch, batch_id), [said], {}, actor=actor, clock=utcnow)
    return payout


def test_finance_finds_a_contradicted_answer_by_its_class_and_marks_the_unpaid_payout_returned(
    signed_in, session, session_factory, accepted_batch
):
    payout = _contradicted(session_factory, session, accepted_batch.id)
    client = signed_in("finance")

    queue = client.get(f"/console/reconciliation/exceptions?kind={KIND}").text
    assert "trả lời của nhà cung cấp mâu thuẫn với khoản chi" in queue
    (raised,) = exceptions.list_exceptions(session, kind=KIND)
    page = f"/console/reconciliation/exceptions/{raised.id}"
    detail = client.get(page).text
    assert payout.payout_key in detail
    assert "AC04" in detail
    assert KIND in detail

    post_form(client, page, f"{page}/resolve", action="mark_returned", reason="bank: never credited")

    session.expire_all()
    assert session.get(Payout, payout.id).state == "returned"
    assert exceptions.get_exception(session, raised.id).state == "resolved"


def test_the_api_lists_contradicted_answers_by_class(
    client, token_for, session, session_factory, accepted_batch
):
    payout = _contradicted(session_factory, session, accepted_batch.id)
    finance = bearer(token_for("finance"))

    listed = client.get(f"/api/v1/reconciliation/exceptions?kind={KIND}", headers=finance)

    assert listed.status_code == 200, listed.text
    (found,) = listed.get_json()["items"]
    assert (found["kind"], found["payout_id"]) == (KIND, payout.id)
    assert "rejected" in found["detail"]
    assert "accepted" in found["detail"]
