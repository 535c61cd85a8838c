"""Click command groups, one module per feature; payments/cli.py assembles them."""
