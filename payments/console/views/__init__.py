"""Console pages, one module per area; importing this package adds their routes to the blueprint."""

from payments.console.views import (  # noqa: F401
    audit,
    auth,
    batches,
    beneficiaries,
    dashboard,
    imports,
    ledger,
    periods,
    reconciliation,
    users,
)
