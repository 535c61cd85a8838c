"""The queue of typed exceptions finance staff work: its two tables and how one is raised.

It sits below both of the features that raise exceptions, so that neither imports the other the
wrong way: reconciliation (statements, callbacks, ageing) builds on disbursements, and the
dispatcher (in disbursements) raises what finance must see of a provider's answers. How an
exception is assigned, resolved and written off stays in `payments.reconcile.exceptions`.
"""
