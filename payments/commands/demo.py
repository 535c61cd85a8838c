"""`payments demo [--beneficiaries N] [--months M] [--seed S] [--json]`."""

import json
import sys
import time

import click
from flask.cli import with_appcontext

from payments.commands.common import runtime
from payments.demo.run import DemoOptions, run_demo


@click.command("demo")
@click.option("--beneficiaries", default=2_000, show_default=True)
@click.option("--months", default=2, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object at the end")
@with_appcontext
def demo_command(beneficiaries: int, months: int, seed: int, as_json: bool) -> None:
    """Run whole months of a demo province through the HTTP simulators, then summarise."""
    started = time.monotonic()
    options = DemoOptions(beneficiaries=beneficiaries, months=months, seed=seed)

    def say(line: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] {line}", err=True)

    summary = run_demo(runtime().session_factory, runtime().settings, options, say)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(render(summary))
    ledger = summary["ledger"]
    healthy = summary["double_payments"] == 0 and ledger["verified"] and ledger["balanced"]
    sys.exit(0 if healthy else 1)


def render(summary: dict) -> str:
    def vnd(amount: int) -> str:
        return f"{amount:,}".replace(",", ".") + " ₫"

    rows = [
        ("beneficiaries", str(summary["beneficiaries"])),
        ("periods", ", ".join(summary["periods"])),
        ("accrued", vnd(summary["accrued_vnd"])),
        ("paid", vnd(summary["paid_vnd"])),
        *[(f"payouts {state}", str(n)) for state, n in sorted(summary["payouts"].items())],
        ("reconciliation matched", str(summary["reconciliation"]["matched"])),
        *[(f"exceptions {k}", str(n)) for k, n in sorted(summary["reconciliation"]["exceptions"].items())],
        ("ledger entries", str(summary["ledger"]["entries"])),
        ("ledger verified", "yes" if summary["ledger"]["verified"] else "NO"),
        ("ledger balanced", "yes" if summary["ledger"]["balanced"] else "NO"),
        ("double payments", str(summary["double_payments"])),
    ]
    return "\n".join(f"{name:<28} {value:>24}" for name, value in rows)
