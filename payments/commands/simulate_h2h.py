"""`payments simulate h2h`: the watched-folder bank for the `iso20022` adapter.

Registered into `payments simulate` through the `payments.simulators` entry-point group.
"""

import json
import time
from pathlib import Path
from typing import Any

import click

from payments.commands.simulate import fault_options, faults_from_options, write_settings

_NOT_FOR_FILES = ("server_errors", "bad_signatures", "late_callbacks")


@click.command("h2h")
@fault_options
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="exchange root: outbox/ and inbox/ are created inside",
)
@click.option("--poll", type=float, default=0.5, show_default=True, help="seconds between folder scans")
@click.option(
    "--accounts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON list of {bin, account_number, holder_name, closed}; then unknown accounts get AC01",
)
@click.option("--settings-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--close-day-every",
    type=float,
    default=None,
    help="also write a camt.053 of everything unreported every SECONDS (demo speed)",
)
def simulate_h2h(
    folder: Path,
    poll: float,
    accounts: Path | None,
    settings_out: Path | None,
    close_day_every: float | None,
    **options: Any,
) -> None:
    """A host-to-host bank: pain.001 in from outbox/, pain.002 and camt.053/054 out to inbox/.

    `--duplicate-callbacks` duplicates pain.002 reports; `--timeout-after-credit` delivers a
    credited payout's status late. --port is accepted for symmetry and ignored (no server).
    """
    from payments.adapters.iso20022.simulator import H2HBankSimulator

    options.pop("port")
    duration, seed = options.pop("duration"), options.pop("seed")
    unsupported = [name for name in _NOT_FOR_FILES if options[name]]
    if unsupported:
        raise click.UsageError(f"a file exchange has no {', '.join(unsupported)}")
    rows = json.loads(accounts.read_text(encoding="utf-8")) if accounts is not None else []
    if not isinstance(rows, list):
        raise click.BadParameter("--accounts must hold a JSON list")
    bank = H2HBankSimulator(
        folder,
        seed=seed,
        faults=faults_from_options(options),
        poll_seconds=poll,
        strict_accounts=accounts is not None,
    )
    for row in rows:
        bank.add_account(
            row["bin"], row["account_number"], row["holder_name"], closed=row.get("closed", False)
        )
    with bank:
        click.echo(f"h2h bank watching {bank.outbox} (seed {seed}); answers in {bank.inbox}")
        click.echo(f"credits per EndToEndId in {folder / 'credits.json'}")
        write_settings(settings_out, bank.adapter_settings())
        _serve(bank, duration, close_day_every)


def _serve(bank: Any, duration: float | None, close_day_every: float | None) -> None:
    """Until Ctrl-C or `duration`: closing days on demand; then a summary of the credits."""
    started = last_close = time.monotonic()
    try:
        while duration is None or time.monotonic() - started < duration:
            time.sleep(0.05)
            if close_day_every is not None and time.monotonic() - last_close >= close_day_every:
                bank.close_day()
                last_close = time.monotonic()
    except KeyboardInterrupt:
        pass
    credits = bank.credits()
    twice = sum(1 for count in credits.values() if count > 1)
    click.echo(f"stopped: {len(credits)} payout keys credited, {twice} more than once")
