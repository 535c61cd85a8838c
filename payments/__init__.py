"""Cashless social-payment disbursement backend."""

__version__ = "0.1.0"
