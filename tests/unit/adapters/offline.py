"""Adapters pointed at a port nobody listens on: for tests of what happens before any I/O."""

import socket

from payments.adapters.bank_api import signing
from payments.adapters.bank_api.client import BankApiAdapter
from payments.adapters.transport import Transport


def closed_port() -> int:
    """A loopback port that was free a moment ago (nothing listens on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def offline_bank_adapter() -> BankApiAdapter:
    private_pem, _ = signing.new_key_pair()
    _, bank_public = signing.new_key_pair()
    transport = Transport(f"http://127.0.0.1:{closed_port()}", connect_timeout=0.2, connect_retries=1)
    return BankApiAdapter(
        "offline",
        transport=transport,
        client_id="c",
        private_key_pem=private_pem,
        bank_public_key_pem=bank_public,
        debit_account="0071000123456",
    )
