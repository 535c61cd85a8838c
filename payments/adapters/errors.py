"""What an adapter raises when it could not do its job at all (expected outcomes, even a
rejection, are returned as results, never raised):

- `AdapterUnavailable`: nothing was sent (connection refused, endpoint down); retrying is safe.
- `AdapterProtocolError`: the provider answered something we cannot trust or understand (a bad
  response signature, a malformed body). Whether anything was sent is unknown: resolve by status.
- `AdapterConfigError`: the instance's settings are missing or wrong; fix configuration.
- `CallbackRejected`: a callback was forged, stale, replayed or malformed; answer 4xx, do not act.
- `AdapterUnsupported`: the operation, or the creditor kind (bank account, wallet, cash pickup),
  is not among the adapter's `capabilities`.
"""


class AdapterError(Exception):
    """Base of every adapter failure; `code` is stable for logs and API problems."""

    code = "adapter_error"


class AdapterUnavailable(AdapterError):
    """Nothing was sent: the provider could not be reached. Retrying later is safe."""

    code = "adapter_unavailable"


class AdapterProtocolError(AdapterError):
    """The provider's answer is untrustworthy or unreadable (bad signature, malformed body)."""

    code = "adapter_protocol_error"


class AdapterConfigError(AdapterError):
    """The adapter instance is misconfigured (missing key, bad URL, unknown kind)."""

    code = "adapter_config_error"


class AdapterUnsupported(AdapterError):
    """The operation, or the kind of creditor asked for, is not one of this adapter's capabilities."""

    code = "adapter_unsupported"


class CallbackRejected(AdapterError):
    """A callback is forged, outside the timestamp window, replayed or malformed."""

    code = "callback_rejected"
