"""Importing a confirmation file (pain.002, camt.053/054, MT940, CSV report) for finance staff,
as the API's POST /reconciliation/imports does: stage it and reconcile it, or only try it
(a dry run keeps nothing but its report). A refusal (the same file again, a statement already
imported, a malformed file naming its line or element) writes nothing and is shown as is."""

import tempfile
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from payments.api.session import db_session
from payments.console import guard
from payments.console.blueprint import bp
from payments.console.formatting import count
from payments.errors import PaymentsError
from payments.reconcile import runs
from payments.reconcile.sources import FILE_KINDS
from payments.security.roles import Role

FILE_NAME_MAX = 200  # as the API's file_name


@bp.get("/reconciliation/import")
@guard.requires(Role.FINANCE)
def import_form() -> str:
    return render_template("console/import.html", adapters=_adapters(), kinds=FILE_KINDS)


@bp.post("/reconciliation/import")
@guard.requires(Role.FINANCE)
def import_file() -> Response:
    """Import the uploaded file; show its run's report, or the refusal on the form."""
    form = request.form
    upload = request.files.get("file") or FileStorage()  # an empty one when none was sent
    adapter, kind = form.get("adapter", ""), form.get("kind") or None
    problem = _problem(upload, adapter, kind, form.get("day", ""))
    if problem is not None:
        flash(problem, "error")
        return redirect(url_for("console.import_form"))
    name = _file_name(upload)
    dry_run, day = form.get("dry_run") == "1", _day(form.get("day", ""))
    try:
        report = _import(upload, name, adapter=adapter, kind=kind, day=day, dry_run=dry_run)
    except PaymentsError as error:
        refused = _("The file was not imported and nothing was written: %(problem)s", problem=error.detail)
        flash(refused, "error")
        return redirect(url_for("console.import_form"))
    flash(_done(name, report, dry_run), "ok")
    return redirect(url_for("console.reconciliation_run", run_id=report["run"]["id"]))


def _import(upload: FileStorage, name: str, **options: Any) -> dict[str, Any]:
    """Reconcile the upload from a file on disk (a large XML statement is then streamed)."""
    runtime = current_app.extensions["payments"]
    actor = guard.console_actor()
    db_session().rollback()  # end the sign-in read: the import commits in its own transactions
    with tempfile.TemporaryDirectory(prefix="payments-import-") as folder:
        path = Path(folder) / "upload"
        upload.save(path)
        return runs.import_file(
            runtime.session_factory, data=path, file_name=name, csv_mappings=runtime.csv_mappings,
            actor=actor, **options,
        )  # fmt: skip


def _problem(upload: FileStorage, adapter: str, kind: str | None, day: str) -> str | None:
    """What is wrong with the form itself, before the file is read; None when nothing is."""
    if not upload.filename:
        return _("Choose the file to import.")
    if adapter not in _adapters():
        return _("Choose the channel adapter the file comes from.")
    if kind is not None and kind not in FILE_KINDS:
        return _("Choose the file's format, or let it be recognised.")
    if day and _day(day) is None:
        return _("Give the day as a date, or leave it empty.")
    return None


def _done(name: str, report: dict[str, Any], dry_run: bool) -> str:
    lines = count(report["lines"])
    raised = count(sum(figures["count"] for figures in report["exceptions"].values()))
    if dry_run:
        return _(
            "Dry run of %(file)s: %(lines)s lines read, %(exceptions)s exceptions would be raised; "
            "nothing was kept but this report.",
            file=name, lines=lines, exceptions=raised,
        )  # fmt: skip
    return _(
        "%(file)s imported: %(lines)s lines read, %(entries)s ledger entries posted, "
        "%(exceptions)s exceptions raised.",
        file=name, lines=lines, entries=count(report["posted_entries"]), exceptions=raised,
    )  # fmt: skip


def _adapters() -> list[str]:
    return sorted(current_app.extensions["payments"].adapters)


def _file_name(upload: FileStorage) -> str:
    """The name the person's computer gave the file, without any folder (kept with the import)."""
    return PurePath((upload.filename or "").replace("\\", "/")).name[:FILE_NAME_MAX] or "upload"


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
