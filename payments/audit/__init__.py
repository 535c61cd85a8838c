"""The audit log: every state-changing action, hash-chained, append-only in the database."""
