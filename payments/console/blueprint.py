"""The console blueprint object, shared by the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
