"""`payments batches build|retry|submit|approve|reject|cancel|dispatch|show|list|holds`."""

import json
import sys
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from payments.commands.common import cli_actor, runtime, unit_of_work
from payments.context import Actor
from payments.disbursements import approval
from payments.disbursements.building import BuildResult, build_batches
from payments.disbursements.dispatch import Dispatcher, dispatcher_for
from payments.disbursements.model import Batch, BatchHold
from payments.disbursements.repository import holds_for, payouts_in
from payments.disbursements.retry import build_retry_batch
from payments.disbursements.routing import Routing, routing_for
from payments.errors import Forbidden, PaymentsError
from payments.registry.crypto import PiiCipher
from payments.security.services import find_user


@click.group()
def batches() -> None:
    """Payout batches: build, approve (maker-checker) and dispatch."""


def acting_as(username: str | None, role: str) -> Actor:
    """The named user acting in `role` (active, holding it), or the CLI's own identity. The
    operator at the server who typed the name goes on record with every event (`request_id`)."""
    if username is None:
        return cli_actor()
    try:
        with unit_of_work() as session:
            user = find_user(session, username)
            if not user.is_active:
                raise Forbidden(f"{username} is deactivated and cannot act")
            if role not in user.roles:
                raise Forbidden(f"{username} does not hold the {role} role")
            return Actor(username=user.username, role=role, user_id=user.id, request_id=cli_actor().username)
    except PaymentsError as error:
        _fail(error)


def routing() -> Routing:
    return routing_for(runtime().settings, runtime().adapters)


def cipher() -> PiiCipher:
    return PiiCipher.from_settings(runtime().settings)


def _fail(error: PaymentsError) -> NoReturn:
    click.echo(f"refused: {error.detail}", err=True)
    sys.exit(2)


@batches.command("build")
@click.argument("period")
@click.option("--as", "username", help="the officer building the batches")
@with_appcontext
def build_command(period: str, username: str | None) -> None:
    """Build draft batches for PERIOD from what the ledger owes."""
    actor = acting_as(username, "officer")
    settings = runtime().settings
    try:
        with unit_of_work() as session:
            result = build_batches(session, period, routing(), cipher(), actor=actor,
                                   hold_days=settings.instrument_change_hold_days)  # fmt: skip
            lines = [_line(b) for b in result.batches]
    except PaymentsError as error:
        _fail(error)
    click.echo("\n".join(lines) or "no new batches: nobody is owed money outside an open batch")
    click.echo(
        f"{len(result.holds)} beneficiaries held for an officer (see `payments batches holds {period}`)"
    )


@batches.command("retry")
@click.argument("batch_id", type=int)
@click.option("--as", "username", help="the officer building the follow-up")
@with_appcontext
def retry_command(batch_id: int, username: str | None) -> None:
    """Build a follow-up batch paying again only BATCH_ID's failed payouts (approved as usual)."""
    actor = acting_as(username, "officer")
    settings = runtime().settings
    try:
        with unit_of_work() as session:
            result = build_retry_batch(session, batch_id, routing(), cipher(), actor=actor,
                                       hold_days=settings.instrument_change_hold_days)  # fmt: skip
            summary = _retry_summary(batch_id, result)
    except PaymentsError as error:
        _fail(error)
    click.echo("\n".join(summary))


def _retry_summary(batch_id: int, result: BuildResult) -> list[str]:
    """The follow-up batches, what they retry in all, and each person held with the reasons."""
    payouts = sum(batch.payout_count for batch in result.batches)
    total = sum(batch.total_vnd for batch in result.batches)
    return [
        *([_line(b) for b in result.batches] or ["no follow-up batch: everyone to retry is held"]),
        f"retrying {payouts} failed payouts of batch {batch_id}: {_money(total)}; "
        f"{len(result.holds)} held for an officer",
        *[_held_line(hold) for hold in result.holds],
    ]


@batches.command("submit")
@click.argument("batch_id", type=int)
@click.option("--as", "username", help="the officer submitting")
@with_appcontext
def submit_command(batch_id: int, username: str | None) -> None:
    """Submit a draft batch for approval."""
    _decide(lambda s, a: approval.submit_batch(s, a, batch_id), acting_as(username, "officer"))


@batches.command("approve")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True, help="the approver (never the batch's maker)")
@click.option("--manifest", required=True, help="the manifest hash you reviewed (from `batches show`)")
@click.option("--comment", default="approved")
@with_appcontext
def approve_command(batch_id: int, username: str, manifest: str, comment: str) -> None:
    """Approve a batch as reviewed: bound to its manifest hash."""
    threshold = runtime().settings.two_approver_threshold_vnd

    def approve(session: Any, actor: Actor) -> Batch:
        return approval.approve_batch(
            session, actor, batch_id, manifest_seen=manifest, comment=comment, threshold_vnd=threshold
        )

    _decide(approve, acting_as(username, "approver"))


@batches.command("reject")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True)
@click.option("--comment", required=True)
@with_appcontext
def reject_command(batch_id: int, username: str, comment: str) -> None:
    """Reject a batch, saying why."""
    _decide(
        lambda s, a: approval.reject_batch(s, a, batch_id, comment=comment), acting_as(username, "approver")
    )


@batches.command("cancel")
@click.argument("batch_id", type=int)
@click.option("--reason", required=True)
@click.option("--as", "username")
@with_appcontext
def cancel_command(batch_id: int, reason: str, username: str | None) -> None:
    """Cancel a batch that has not started dispatching."""
    _decide(lambda s, a: approval.cancel_batch(s, a, batch_id, reason=reason), acting_as(username, "officer"))


@batches.command("dispatch")
@click.argument("batch_id", type=int)
@click.option("--chunk", default=500, show_default=True)
@with_appcontext
def dispatch_command(batch_id: int, chunk: int) -> None:
    """Send an approved batch through its adapter (safe to run again after any failure)."""
    try:
        result = dispatcher(batch_id, chunk).dispatch(batch_id)
    except PaymentsError as error:
        _fail(error)
    click.echo(json.dumps(result.__dict__))
    sys.exit(0 if result.stopped_because is None else 3)


def dispatcher(batch_id: int, chunk: int = 500) -> Dispatcher:
    return dispatcher_for(
        runtime().session_factory, runtime().adapters, runtime().settings, batch_id, chunk_size=chunk,
        actor=cli_actor(),
    )  # fmt: skip


@batches.command("show")
@click.argument("batch_id", type=int)
@with_appcontext
def show_command(batch_id: int) -> None:
    """A batch: state, totals, manifest hash, and its payouts by state."""
    with unit_of_work() as session:
        batch = approval.get_batch(session, batch_id)
        counts: dict[str, int] = {}
        for payout in payouts_in(session, batch_id):
            counts[payout.state] = counts.get(payout.state, 0) + 1
        click.echo(_line(batch))
        click.echo(f"  manifest {batch.manifest_hash}")
        click.echo(f"  payouts by state: {json.dumps(counts)}")


@batches.command("list")
@click.option("--period")
@with_appcontext
def list_command(period: str | None) -> None:
    """Batches, newest first."""
    with unit_of_work() as session:
        query = select(Batch).order_by(Batch.id.desc()).limit(100)
        if period:
            query = query.where(Batch.period == period)
        for batch in session.scalars(query):
            click.echo(_line(batch))


@batches.command("holds")
@click.argument("period")
@with_appcontext
def holds_command(period: str) -> None:
    """Who was held out of PERIOD's builds, for how much, and why (an officer acts on each)."""
    with unit_of_work() as session:
        holds = holds_for(session, period)
        lines = [_held_line(hold) for hold in holds]
    click.echo("\n".join(lines) or f"nobody was held for {period}")
    if holds:
        click.echo(f"{len(holds)} held for {period}: {_money(sum(h.amount_vnd for h in holds))}")


def _decide(action: Any, actor: Actor) -> None:
    try:
        with unit_of_work() as session:
            batch = action(session, actor)
            line = _line(batch)
    except PaymentsError as error:
        _fail(error)
    click.echo(line)


def _line(batch: Batch) -> str:
    return (f"batch {batch.id} {batch.period} {batch.programme} via {batch.adapter}: {batch.state}, "
            f"{batch.payout_count} payouts, {_money(batch.total_vnd)}")  # fmt: skip


def _held_line(hold: BatchHold) -> str:
    reasons = "; ".join(
        f"{r['code']} ({r['detail']})" if r.get("detail") else r["code"] for r in hold.reasons
    )
    return f"  held: beneficiary {hold.beneficiary_id}, {_money(hold.amount_vnd)}: {reasons}"


def _money(vnd: int) -> str:
    return f"{vnd:,} ₫".replace(",", ".")
