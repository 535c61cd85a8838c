"""`payments up` (what `make run` starts): the whole system on one machine, for development.

Migrates the database, starts the bank and e-wallet simulators, seeds the demo province when
the database is empty, then runs the scheduler and serves the API (and the console) until
Ctrl-C. Refused in production.
"""

import contextlib
import dataclasses
import json
import os
import sys
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.serving import run_simple

from payments import migrate, scheduler
from payments.adapters.base import AdapterServices
from payments.adapters.nonce_store import nonce_stores
from payments.adapters.vnpost.window import PickupWindowCloser
from payments.app import create_app
from payments.commands.common import runtime, stop_on_ctrl_c
from payments.config import Settings
from payments.demo.run import DEMO_USERS, DemoOptions, run_demo
from payments.demo.simulators import BANK, POST, WALLET, DemoProviders, start_providers
from payments.registry.crypto import PiiCipher
from payments.registry.model import Beneficiary, PaymentInstrument
from payments.security.login import set_password
from payments.security.services import find_user, issue_token

# Cash nobody collected within this goes back (NOAS), as when a real pickup window closes.
PICKUP_WINDOW = timedelta(minutes=30)
# Lively enough to watch: dispatch approved batches every minute, reconcile every five.
DEV_SCHEDULE = (
    "dispatch=* * * * *;reconcile=*/5 * * * *;checkpoint=*/10 * * * *;age_payouts=0 * * * *;"
    "unclaimed_cash=15 3 * * *;verify_audit=30 3 * * *"
)


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--beneficiaries", default=2_000, show_default=True, help="demo province size when seeding")
@with_appcontext
def up_command(host: str, port: int, beneficiaries: int) -> None:
    """Run everything for development: simulators, demo data, scheduler, API and console."""
    stop_on_ctrl_c()
    settings = runtime().settings
    if settings.is_production:
        raise click.UsageError(
            "`payments up` is for development; run the API, scheduler and adapters separately"
        )
    migrate.upgrade(runtime().engine)
    with ExitStack() as stack:
        services = AdapterServices(nonce_store=nonce_stores(runtime().session_factory))
        providers = start_providers(stack, seed=7, services=services)
        live = _settings_for(settings, providers)
        _seed_or_reopen(live, providers, beneficiaries)
        # From now on callbacks go to the running API, as a real provider's would.
        providers.wallet.outbox.callback_url = f"http://{host}:{port}/callbacks/{WALLET}"
        providers.post.outbox.callback_url = f"http://{host}:{port}/callbacks/{POST}"
        stack.enter_context(PickupWindowCloser(providers.post, PICKUP_WINDOW))
        app = create_app(live)
        background = scheduler.start_in_background(app.extensions["payments"])
        stack.callback(background.shutdown, wait=False)
        _welcome(host, port, providers)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the stack stops everything else
            run_simple(host, port, app, threaded=True, use_reloader=False)
    click.echo("stopped.", err=True)


def _settings_for(settings: Settings, providers: DemoProviders) -> Settings:
    """These settings, with the running simulators as the bank, e-wallet and post office adapters."""
    path = Path("instance") / "adapters.dev.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(providers.settings))
    os.chmod(path, 0o600)  # it holds the simulators' client keys
    schedule = os.environ.get("PAYMENTS_SCHEDULE", DEV_SCHEDULE)
    return dataclasses.replace(settings, adapters_file=str(path), route_bank=BANK, route_ewallet=WALLET,
                               route_cash=POST, schedule=schedule)  # fmt: skip


def _seed_or_reopen(settings: Settings, providers: DemoProviders, beneficiaries: int) -> None:
    factory = runtime().session_factory
    with factory() as session:
        empty = not session.scalar(select(func.count()).select_from(Beneficiary))
    if empty:
        click.echo(f"seeding the demo province ({beneficiaries} beneficiaries, 2 months)...", err=True)
        options = DemoOptions(beneficiaries=beneficiaries)
        run_demo(factory, settings, options, lambda line: click.echo(line, err=True), providers=providers)
        return
    _reopen_accounts(settings, providers)


def _reopen_accounts(settings: Settings, providers: DemoProviders) -> None:
    """Fresh simulators know no accounts: open every instrument in force, under its holder."""
    cipher = PiiCipher.from_settings(settings)
    with runtime().session_factory() as session:
        rows = session.execute(
            select(PaymentInstrument, Beneficiary.full_name)
            .join(Beneficiary, Beneficiary.id == PaymentInstrument.beneficiary_id)
            .where(PaymentInstrument.effective_to.is_(None), PaymentInstrument.account_ct.is_not(None))
        )
        for instrument, name in rows:
            sealed, key_id = instrument.account_ct, instrument.account_key
            if sealed is None or key_id is None:
                continue  # (the query asks for an account; a row without one has nothing to open)
            account = cipher.open("account", sealed, key_id)
            if instrument.kind == "bank":
                providers.bank.add_account(instrument.bank_bin or "", account, instrument.holder_name or name)
            else:
                providers.wallet.add_wallet(account, name)


def _welcome(host: str, port: int, providers: DemoProviders) -> None:
    url = f"http://{host}:{port}"
    lines = [
        "",
        f"payments is running at {url}",
        f"  console      {url}/console",
        f"  API docs     {url}/api/docs   (OpenAPI: {url}/api/openapi.json)",
        f"  health       {url}/health",
        f"  simulators   bank {providers.bank.url}   e-wallet {providers.wallet.url}"
        f"   post office {providers.post.url}",
        "development logins (development mode only): console password, and an API token",
    ]
    factory = runtime().session_factory
    with factory() as session, session.begin():
        for username, roles in DEMO_USERS.items():
            user = find_user(session, username)
            password = f"{username}-dev-password"  # published on purpose: development only
            set_password(session, _system(), user, password)
            token = issue_token(session, _system(), user, ttl_days=1).token
            lines.append(f"  {username:<15} {', '.join(roles):<9} password {password:<28} token {token}")
    lines.append("Ctrl-C stops everything.")
    click.echo("\n".join(lines), err=True)
    sys.stderr.flush()


def _system():
    from payments.commands.common import cli_actor

    return cli_actor()
