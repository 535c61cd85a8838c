"""`payments gifts run --code tet-2027 --date 2027-01-20 --decision "..." --amount BTXH=500000 ...`:
a one-off gift run (DOMAIN rule 8)."""

import json
import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from payments.commands.common import cli_actor, refusals_as_click_errors, runtime
from payments.commands.entitlements import vnd
from payments.entitlements.gifts import DEFAULT_CHUNK, GiftRun, GiftSummary, run_gifts
from payments.registry.repository import count_people


@click.group()
def gifts() -> None:
    """One-off gift runs (for example Tết): one gift per person."""


def _amounts(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, int]:
    """('BTXH=500000', 'NCC=600000') -> {'BTXH': 500000, 'NCC': 600000}: whole đồng, digits only."""
    amounts: dict[str, int] = {}
    for value in values:
        programme, sep, amount = value.partition("=")
        if not sep or not programme or not amount.isascii() or not amount.isdigit():
            raise click.BadParameter(f"{value!r}: write PROGRAMME=VND in whole đồng, e.g. BTXH=500000")
        if programme in amounts:
            raise click.BadParameter(f"{programme} is given twice")
        amounts[programme] = int(amount)
    return amounts


@gifts.command("run")
@click.option("--code", required=True, help="the run's name, e.g. tet-2027 (lower case, digits, '-')")
@click.option("--date", "gift_date", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="the gift's date: people must be eligible on it (YYYY-MM-DD)")  # fmt: skip
@click.option("--decision", required=True, help='the decision granting the gift, e.g. "QĐ 123/QĐ-UBND"')
@click.option("--amount", "amounts", multiple=True, required=True, callback=_amounts, metavar="PROGRAMME=VND",
              help="the gift for one programme, in whole đồng; repeat for each programme")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="work everything out, then roll it back: nothing is posted")
@click.option("--chunk", default=DEFAULT_CHUNK, show_default=True, help="people per committed chunk")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@with_appcontext
def run_command(  # click passes the options by name
    *,
    code: str,
    gift_date: datetime,
    decision: str,
    amounts: dict[str, int],
    dry_run: bool,
    chunk: int,
    as_json: bool,
) -> None:
    """Give one gift to each person eligible on --date; safe to run again (it posts nothing new)."""
    factory = runtime().session_factory
    with refusals_as_click_errors():
        run = GiftRun(code, gift_date.date(), decision, amounts)
        with factory() as session:
            people = count_people(session)
        with click.progressbar(length=people, label=f"gift run {code}", file=sys.stderr) as bar:
            summary = run_gifts(
                factory, run, actor=cli_actor(), dry_run=dry_run, chunk=chunk, progress=bar.update
            )
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False) if as_json else render(summary))
    if summary.problems:
        sys.exit(2)


def render(summary: GiftSummary) -> str:
    """A readable summary: who was given what, who already had it, who was not eligible."""
    amounts = ", ".join(f"{p} {vnd(a)}" for p, a in sorted(summary.amounts_vnd.items()))
    given = "would be given" if summary.dry_run else "given now"
    lines = [
        f"gift run {summary.code} ({summary.decision}), eligible on {summary.gift_date}: {amounts}"
        + ("  [DRY RUN: nothing was posted]" if summary.dry_run else ""),
        f"  people looked at  {summary.people:>8}",
        f"  {given:<17} {summary.given:>8}  {vnd(summary.given_vnd):>22}",
        f"  already given     {summary.already_given:>8}  {vnd(summary.already_given_vnd):>22}",
        f"  not eligible      {summary.not_eligible:>8}",
        f"{given}, by programme:",
    ]
    lines += [
        f"  {name:<16} {t.entries:>8} gifts {vnd(t.amount_vnd):>22}"
        for name, t in sorted(summary.by_programme.items())
    ] or ["  (none)"]
    if summary.problems:
        lines.append(f"{len(summary.problems)} problem(s): these people were NOT given a gift:")
        lines += [f"  beneficiary {p['beneficiary_id']}: {p['problem']}" for p in summary.problems[:50]]
    return "\n".join(lines)
