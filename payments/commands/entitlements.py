"""`payments accrue PERIOD [--recompute FROM TO]`: the monthly accrual run."""

import json
import sys

import click
from flask.cli import with_appcontext

from payments.commands.common import cli_actor, runtime
from payments.entitlements.accrual import AccrualSummary, accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry.repository import count_people


@click.command("accrue")
@click.argument("period")
@click.option(
    "--recompute", nargs=2, metavar="FROM TO", help="also bring these months up to date (YYYY-MM YYYY-MM)"
)
@click.option("--chunk", default=500, show_default=True, help="people per committed chunk")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@with_appcontext
def accrue_command(period: str, recompute: tuple[str, str] | None, chunk: int, as_json: bool) -> None:
    """Accrue PERIOD (YYYY-MM) for everyone; safe to run again (it posts nothing new)."""
    month = Period.parse(period)
    span = (Period.parse(recompute[0]), Period.parse(recompute[1])) if recompute else None
    factory = runtime().session_factory
    with factory() as session:
        rates = load_rate_set(session, runtime().settings.province_code)
        people = count_people(session)
    with click.progressbar(length=people, label=f"accruing {month}", file=sys.stderr) as bar:
        summary = accrue(
            factory, month, rates, actor=cli_actor(), recompute=span, chunk=chunk, progress=bar.update
        )
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False) if as_json else render(summary))
    if summary.problems:
        sys.exit(2)


def render(summary: AccrualSummary) -> str:
    """A readable summary: totals, then by programme, category and commune."""
    lines = [
        f"period {summary.period}: {summary.people} people, {summary.posted} entries posted "
        f"({summary.already_posted} already posted)",
        f"  accrued   {vnd(summary.accrued_vnd)}",
        f"  arrears   {vnd(summary.arrears_vnd)}"
        + (f"  (months recomputed: {', '.join(summary.recomputed)})" if summary.recomputed else ""),
        f"  recovered {vnd(summary.recovered_vnd)}",
        f"  offset    {vnd(summary.offset_vnd)}",
    ]
    for title, tallies in (("programme", summary.by_programme), ("category", summary.by_category),
                           ("commune", summary.by_commune)):  # fmt: skip
        lines.append(f"by {title}:")
        lines += [
            f"  {name:<40} {t.entries:>8} entries {vnd(t.amount_vnd):>22}"
            for name, t in sorted(tallies.items())
        ]
    if summary.problems:
        lines.append(f"{len(summary.problems)} problem(s): these enrolments were NOT accrued:")
        lines += [
            f"  enrolment {p['enrolment_id']} {p['period']}: {p['problem']}" for p in summary.problems[:50]
        ]
    return "\n".join(lines)


def vnd(amount: int) -> str:
    """1878000 -> '1.878.000 ₫' (Vietnamese grouping)."""
    return f"{amount:,}".replace(",", ".") + " ₫"
