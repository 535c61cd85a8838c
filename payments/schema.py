"""Imports every model module so that Base.metadata describes the whole schema.

Migrations (autogenerate and the schema-equality test) read the metadata from here; each
feature adds its model module to this list.
"""

import payments.adapters.nonce_store
import payments.audit.model
import payments.disbursements.model
import payments.entitlements.model
import payments.exception_queue.model
import payments.ledger.model
import payments.reconcile.model
import payments.registry.model
import payments.scheduling.model
import payments.security.model  # noqa: F401
from payments.db import Base

metadata = Base.metadata
