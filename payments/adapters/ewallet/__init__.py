"""E-wallet disbursement adapter (`ewallet` entry point): client, mapping, simulator."""
