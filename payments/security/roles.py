"""The roles a user can hold. Every API route declares which of these it admits."""

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"  # builds and submits batches, maintains the registry
    APPROVER = "approver"  # approves or rejects batches (never their own)
    FINANCE = "finance"  # runs reconciliation, resolves exceptions
    AUDITOR = "auditor"  # reads ledger history and the audit log
    ADMIN = "admin"  # manages users, tokens, categories and rates


ALL_ROLES = frozenset(Role)
