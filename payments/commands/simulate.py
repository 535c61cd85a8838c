"""`payments simulate bank|ewallet|vnpost|…`: run a provider simulator on loopback until interrupted.

Subcommands come from this module and from the `payments.simulators` entry-point group, so
another module or package adds one (`h2h = "pkg.module:command"`) without editing this file;
`fault_options` and `faults_from_options` give every simulator the same fault flags.
"""

import json
import os
import time
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from payments.adapters.simkit import Faults

SIMULATOR_GROUP = "payments.simulators"

_FAULT_FLAGS = {
    "reject_closed": "share of payouts rejected as closed account (AC04)",
    "reject_wrong_account": "share rejected as wrong account (AC01)",
    "reject_insufficient_funds": "share rejected for insufficient funds (AM04)",
    "timeout_after_credit": "share credited but answered too late (client times out)",
    "server_errors": "share of requests answered 503 before any work",
    "duplicate_callbacks": "share of callbacks delivered twice",
    "late_callbacks": "share of callbacks delivered late",
    "return_after_settlement": "share of settled payouts returned afterwards",
    "statement_amount_differs": "share booked with a different amount on the statement",
    "bad_signatures": "share of responses with a signature that does not verify",
}


class SimulatorGroup(click.Group):
    """A click group that also lists the commands of the `payments.simulators` entry points."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            set(super().list_commands(ctx)) | {ep.name for ep in entry_points(group=SIMULATOR_GROUP)}
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        found = [ep for ep in entry_points(group=SIMULATOR_GROUP) if ep.name == cmd_name]
        return found[0].load() if found else None


def fault_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --seed, --port, --duration and one --<fault> RATE option per fault."""
    for name, help_text in reversed(_FAULT_FLAGS.items()):
        flag = "--" + name.replace("_", "-")
        command = click.option(flag, name, type=click.FloatRange(0, 1), default=0.0, help=help_text)(command)
    command = click.option("--hang-seconds", type=float, default=5.0, help="stall of a timeout fault")(
        command
    )
    command = click.option("--seed", type=int, default=0, show_default=True)(command)
    command = click.option("--port", type=int, default=0, help="0 picks a free port")(command)
    return click.option("--duration", type=float, default=None, help="stop after SECONDS")(command)


def faults_from_options(options: dict[str, Any]) -> Faults:
    """The Faults named by `fault_options` flags (removes them from `options`)."""
    rates = {name: options.pop(name) for name in _FAULT_FLAGS}
    return Faults(hang_seconds=options.pop("hang_seconds"), **rates)


def write_settings(path: Path | None, settings: dict[str, Any]) -> None:
    """Adapter settings for the running simulator; the file holds a key, so owner-only."""
    if path is None:
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(settings, file, indent=2)
    click.echo(f"adapter settings written to {path}")


def serve(simulator: Any, duration: float | None) -> None:
    """Block until Ctrl-C (or `duration` seconds), then print the credits made."""
    try:
        deadline = None if duration is None else time.monotonic() + duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    credits = simulator.credits()
    twice = sum(1 for count in credits.values() if count > 1)
    click.echo(f"stopped: {len(credits)} payout keys credited, {twice} more than once")


@click.group(cls=SimulatorGroup)
def simulate() -> None:
    """Provider simulators on loopback (for development, demos and tests)."""


_settings_out = click.option("--settings-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
_accounts = click.option(
    "--accounts", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None
)


@simulate.command("bank")
@fault_options
@_accounts
@_settings_out
def simulate_bank(accounts: Path | None, settings_out: Path | None, **options: Any) -> None:
    """A NAPAS-style bank API. --accounts: JSON list of {bin, account_number, holder_name, closed}."""
    from payments.adapters.bank_api.simulator import BankSimulator

    port, duration, seed = options.pop("port"), options.pop("duration"), options.pop("seed")
    if options["duplicate_callbacks"] or options["late_callbacks"]:
        raise click.UsageError("the bank API reports by status and statement: it has no callbacks")
    with BankSimulator(seed=seed, faults=faults_from_options(options), port=port) as sim:
        for row in _rows(accounts):
            sim.add_account(
                row["bin"], row["account_number"], row["holder_name"], closed=row.get("closed", False)
            )
        click.echo(f"bank simulator at {sim.url} (seed {seed}); credits at {sim.url}/_sim/credits")
        write_settings(settings_out, sim.adapter_settings())
        serve(sim, duration)


@simulate.command("ewallet")
@fault_options
@_accounts
@_settings_out
@click.option("--callback-url", default=None, help="where callbacks are POSTed")
def simulate_ewallet(
    accounts: Path | None, settings_out: Path | None, callback_url: str | None, **options: Any
) -> None:
    """An e-wallet disbursement API. --accounts: JSON list of {phone, holder_name, status}."""
    from payments.adapters.ewallet.simulator import EwalletSimulator

    port, duration, seed = options.pop("port"), options.pop("duration"), options.pop("seed")
    faults = faults_from_options(options)
    with EwalletSimulator(seed=seed, faults=faults, port=port, callback_url=callback_url) as sim:
        for row in _rows(accounts):
            sim.add_wallet(row["phone"], row["holder_name"], status=row.get("status", "ACTIVE"))
        click.echo(f"e-wallet simulator at {sim.url} (seed {seed}); credits at {sim.url}/_sim/credits")
        write_settings(settings_out, sim.adapter_settings())
        serve(sim, duration)


@simulate.command("vnpost")
@fault_options
@_settings_out
@click.option("--callback-url", default=None, help="where callbacks are POSTed")
@click.option(
    "--default-outcome",
    type=click.Choice(["collect", "uncollected"]),
    default="collect",
    show_default=True,
    help="what becomes of a cash order nobody scripted",
)
@click.option(
    "--uncollected-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="share of cash orders left uncollected (seeded, per payout key)",
)
@click.option("--unserved-commune", "unserved", multiple=True, help="a commune code no post office serves")
@click.option(
    "--scripts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON list of {payout_key or citizen_id, outcome, error_code}",
)
def simulate_vnpost(
    *,
    settings_out: Path | None,
    callback_url: str | None,
    default_outcome: str,
    uncollected_rate: float,
    unserved: tuple[str, ...],
    scripts: Path | None,
    **options: Any,
) -> None:
    """Cash at the post office. Orders wait for pickup; POST /_sim/collect/<key> hands one over,
    POST /_sim/close-window expires every order still waiting (NOAS)."""
    from payments.adapters.vnpost.simulator import VnpostSimulator

    port, duration, seed = options.pop("port"), options.pop("duration"), options.pop("seed")
    if options["reject_closed"] or options["return_after_settlement"]:
        raise click.UsageError(
            "cash has no account to close and collected cash never comes back: use --uncollected-rate"
        )
    faults = faults_from_options(options)
    with VnpostSimulator(
        seed=seed, faults=faults, port=port, callback_url=callback_url, default_outcome=default_outcome,
        uncollected_rate=uncollected_rate, unserved_communes=unserved,
    ) as sim:  # fmt: skip
        for row in _rows(scripts):
            try:
                sim.plan.script(row)
            except (ValueError, AttributeError) as exc:
                raise click.BadParameter(f"--scripts: {exc}") from None
        click.echo(f"vnpost simulator at {sim.url} (seed {seed}); credits at {sim.url}/_sim/credits")
        write_settings(settings_out, sim.adapter_settings())
        serve(sim, duration)


def _rows(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    rows = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise click.BadParameter("--accounts must hold a JSON list")
    return rows
