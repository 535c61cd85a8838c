"""Beneficiary registry: who is paid, under which decision, and how."""
