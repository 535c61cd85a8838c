"""Payout batches: building, maker-checker approval and exactly-once dispatch."""
