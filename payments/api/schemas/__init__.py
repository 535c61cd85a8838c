"""Marshmallow schemas, written by hand (never generated from tables)."""
