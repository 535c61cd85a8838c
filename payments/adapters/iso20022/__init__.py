"""ISO 20022 host-to-host bank files: the `iso20022` adapter, its watched-folder simulator, and
the message readers and writers that reconciliation reuses.

- `pain001`: write (and read back) pain.001.001.09 credit transfer initiations.
- `pain002`: read pain.002 status reports (`read_pain002`, `iter_pain002`); `build_pain002`.
- `camt`: read camt.053 statements and camt.054 notifications streaming (`iter_camt`,
  `read_camt`); `camt_writer` writes them.
- `xmlsafe`: the hardened parser (no entities, no DTD, no network, DOCTYPE refused) and
  `MalformedMessage`, which names the element path and line of the first problem.
"""
