"""The scheduler's lease and job-run records (the APScheduler wiring is in payments/scheduler.py)."""
