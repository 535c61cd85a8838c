"""Reconciliation: statements and callbacks in, matching, settlement and exceptions."""
