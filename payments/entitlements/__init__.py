"""Entitlements: effective-dated rates, the calculator and the monthly accrual."""
