"""A cash pickup: validated on creation, masked for logs, refused by adapters that cannot pay it."""

import pytest

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount, CashPickup, WalletAccount
from payments.adapters.errors import AdapterUnsupported
from payments.adapters.ewallet.client import create as create_ewallet
from payments.adapters.messages import PayoutInstruction
from payments.adapters.vnpost.client import create as create_vnpost
from tests.unit.adapters.offline import closed_port, offline_bank_adapter

PICKUP = CashPickup(commune_code="25123", citizen_id="001190012789", holder_name="Nguyễn Thị Đào")
SECRET = "a-secret-of-at-least-16-bytes"


def pay(creditor, key: str = "K-1") -> PayoutInstruction:
    return PayoutInstruction(payout_key=key, amount_vnd=500_000, creditor=creditor, beneficiary_name="Đào")


def offline(create, **settings):
    """An HTTP adapter pointed at a closed port: any attempt to send would be AdapterUnavailable."""
    base = {"base_url": f"http://127.0.0.1:{closed_port()}", "secret": SECRET, "connect_retries": 0}
    return create("offline", {**base, **settings}, AdapterServices())


def test_a_cash_pickup_takes_a_cccd_or_a_legacy_cmnd():
    assert PICKUP.citizen_id == "001190012789"
    assert CashPickup(commune_code="00001", citizen_id="123456789", holder_name="A").citizen_id == "123456789"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"commune_code": "2512"}, "commune code"),
        ({"commune_code": "25 123"}, "commune code"),
        ({"commune_code": "2512a"}, "commune code"),
        ({"citizen_id": "00119001278"}, "citizen ID"),  # 11 digits: neither CCCD nor CMND
        ({"citizen_id": "0011900127890"}, "citizen ID"),
        ({"citizen_id": "00119001278X"}, "citizen ID"),
        ({"holder_name": ""}, "holder name"),
        ({"holder_name": "   "}, "holder name"),
    ],
)
def test_a_malformed_cash_pickup_is_refused(changes, message):
    fields = {"commune_code": "25123", "citizen_id": "001190012789", "holder_name": "Nguyễn Thị Đào"}
    with pytest.raises(ValueError, match=message):
        CashPickup(**{**fields, **changes})


def test_the_masked_form_shows_the_commune_and_only_the_last_three_id_digits():
    assert PICKUP.masked == "cash/25123/*********789"
    assert "001190012" not in PICKUP.masked
    cmnd = CashPickup(commune_code="25123", citizen_id="123456789", holder_name="A")
    assert cmnd.masked == "cash/25123/******789"


def test_the_bank_and_wallet_adapters_refuse_a_cash_pickup_before_connecting():
    wallet = offline(create_ewallet, partner_code="P")
    for adapter in (offline_bank_adapter(), wallet):
        with pytest.raises(AdapterUnsupported):
            adapter.send([pay(PICKUP)])
        with pytest.raises(AdapterUnsupported):
            adapter.lookup_name(PICKUP)


@pytest.mark.parametrize(
    "creditor",
    [
        BankAccount(bin="970436", account_number="0011002233"),
        WalletAccount(provider="momo", phone="0912345678"),
    ],
    ids=["bank", "wallet"],
)
def test_the_post_office_adapter_refuses_banks_and_wallets_before_connecting(creditor):
    adapter = offline(create_vnpost, client_id="PAYMENTS")
    with pytest.raises(AdapterUnsupported, match="cash pickups only"):
        adapter.send([pay(PICKUP, "K-1"), pay(creditor, "K-2")])


def test_the_post_office_has_no_name_lookup():
    adapter = offline(create_vnpost, client_id="PAYMENTS")
    assert "name_lookup" not in adapter.capabilities
    with pytest.raises(AdapterUnsupported):
        adapter.lookup_name(PICKUP)
