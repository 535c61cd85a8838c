"""Append-only double-entry ledger. Importing it must not import Flask."""
