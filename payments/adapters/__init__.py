"""Pluggable bank and e-wallet adapters, found through the `payments.adapters` entry points."""
