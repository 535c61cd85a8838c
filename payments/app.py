"""The application factory: configuration, database, API blueprints, errors, logging."""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, has_request_context, redirect, request, url_for
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response as WerkzeugResponse

from payments import __version__
from payments.adapters.base import AdapterServices, PayoutAdapter
from payments.adapters.nonce_store import nonce_stores
from payments.adapters.registry import AdapterRegistry, load_instances
from payments.api import (
    audit,
    batches,
    callbacks,
    entitlements,
    gifts,
    health,
    jobs,
    ledger,
    rates,
    reconciliation,
    registry,
    users,
)
from payments.api.auth import check_request
from payments.api.errors import register_error_handlers
from payments.api.session import close_session
from payments.config import Settings
from payments.console.setup import init_console
from payments.db import make_engine, make_session_factory
from payments.logs import configure_logging
from payments.reconcile.csv_config import configured_mappings
from payments.reconcile.csv_reports import CsvMapping

BLUEPRINTS = (
    batches.blp,
    entitlements.blp,
    gifts.blp,
    health.blp,
    users.blp,
    audit.blp,
    registry.blp,
    jobs.blp,
    rates.blp,
    ledger.blp,
    reconciliation.blp,
    callbacks.blp,
)
DEV_ADAPTERS = {"sandbox": {"kind": "sandbox"}}  # development only: production requires a file
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class Runtime:
    """What the app holds for its requests and commands: settings, the database, the adapters."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    adapters: Mapping[str, PayoutAdapter]
    csv_mappings: Mapping[str, CsvMapping] = field(default_factory=dict)  # by adapter instance


def adapter_instances(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each configured adapter instance's settings, as the adapters file gives them."""
    return load_instances(settings.adapters_file) if settings.adapters_file else DEV_ADAPTERS


def build_adapters(settings: Settings, session_factory: sessionmaker[Session]) -> dict[str, PayoutAdapter]:
    """The configured adapter instances (callback nonces kept in the database)."""
    instances = adapter_instances(settings)
    registry = AdapterRegistry(services=AdapterServices(nonce_store=nonce_stores(session_factory)))
    return registry.build_all(instances)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    engine = engine or make_engine(settings.database_url)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        API_TITLE="payments",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,  # werkzeug answers 413 beyond it
    )
    factory = session_factory or make_session_factory(engine)
    adapters, mappings = build_adapters(settings, factory), configured_mappings(adapter_instances(settings))
    app.extensions["payments"] = Runtime(settings, engine, factory, adapters, mappings)
    configure_logging(settings.log_level, _current_request_id)
    api = Api(app, spec_kwargs={"info": {"description": "Social-payment disbursement API"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    register_error_handlers(app)
    init_console(app)
    app.add_url_rule("/", "root", _to_console)
    app.before_request(_assign_request_id)
    app.before_request(check_request)
    app.after_request(_echo_request_id)
    app.teardown_appcontext(close_session)
    return app


def _to_console() -> WerkzeugResponse:
    """People who type the bare address land on the console (which asks them to sign in)."""
    return redirect(url_for("console.dashboard"))


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None
