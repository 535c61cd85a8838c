"""`payments unclaimed-cash`: DOMAIN rule 5 on demand (the scheduler's `unclaimed_cash` job)."""

import json

import click
from flask.cli import with_appcontext

from payments.clock import local_date, utcnow
from payments.commands.common import cli_actor, runtime, unit_of_work
from payments.disbursements.unclaimed import apply_unclaimed_cash_rule


@click.command("unclaimed-cash")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), help="as of this day (default: today)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@with_appcontext
def unclaimed_cash_command(on, as_json: bool) -> None:
    """Suspend enrolments whose cash went uncollected for months on end; terminate those
    still suspended for it months later."""
    months = runtime().settings.unclaimed_cash_months
    today = on.date() if on else local_date(utcnow())
    with unit_of_work() as session:
        result = apply_unclaimed_cash_rule(session, cli_actor(), today=today, months=months)
    if as_json:
        click.echo(
            json.dumps(
                {"date": today.isoformat(), "suspended": result.suspended, "terminated": result.terminated}
            )
        )
        return
    click.echo(
        f"unclaimed cash as of {today} ({months} months): "
        f"{len(result.suspended)} enrolment(s) suspended, {len(result.terminated)} terminated"
    )
    for label, ids in (("suspended", result.suspended), ("terminated", result.terminated)):
        if ids:
            click.echo(f"  {label}: enrolments {', '.join(map(str, ids))}")
