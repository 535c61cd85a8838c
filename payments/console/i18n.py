"""Vietnamese by default, English on request (Flask-Babel; catalogues under translations/).

Message ids are English; `translations/vi/LC_MESSAGES/messages.po` holds the Vietnamese and
its compiled `.mo` sits beside it (`python -m payments.console.catalog` rebuilds it, and a
test fails when the two disagree or a string has no translation).
"""

from pathlib import Path

from flask import Flask, session
from flask_babel import Babel

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def current_language() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=current_language)
