"""Simulators and adapters wired together for the fault tests."""

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount, CashPickup, WalletAccount
from payments.adapters.messages import PayoutInstruction
from payments.adapters.registry import AdapterRegistry

FAST = {"read_timeout": 0.4, "connect_timeout": 0.5, "read_retries": 1, "connect_retries": 1}
VCB = "970436"
HOLDER = "Nguyễn Thị Đào"


def bank_adapter(sim, name: str = "vcb", services: AdapterServices | None = None, **settings):
    return AdapterRegistry(services=services).build(name, sim.adapter_settings(**{**FAST, **settings}))


def wallet_adapter(sim, name: str = "momo", services: AdapterServices | None = None, **settings):
    return AdapterRegistry(services=services).build(name, sim.adapter_settings(**{**FAST, **settings}))


def open_account(sim, n: int, *, closed: bool = False) -> BankAccount:
    account = BankAccount(bin=VCB, account_number=f"00710099{n:04d}", holder_name=HOLDER)
    sim.add_account(account.bin, account.account_number, "NGUYEN THI DAO", closed=closed)
    return account


def open_wallet(sim, n: int, *, status: str = "ACTIVE") -> WalletAccount:
    wallet = WalletAccount(provider="momo", phone=f"09888800{n:02d}")
    sim.add_wallet(wallet.phone, "NGUYEN THI DAO", status=status)
    return wallet


def pay(key: str, creditor, amount: int = 500_000) -> PayoutInstruction:
    return PayoutInstruction(
        payout_key=key, amount_vnd=amount, creditor=creditor, beneficiary_name=HOLDER, batch_reference="B-1"
    )


def cash_adapter(sim, name: str = "vnpost", services: AdapterServices | None = None, **settings):
    return AdapterRegistry(services=services).build(name, sim.adapter_settings(**{**FAST, **settings}))


def pickup(n: int, commune_code: str = "25123") -> CashPickup:
    """Cash for beneficiary `n` at the post office of `commune_code`, against a 12-digit CCCD."""
    return CashPickup(commune_code=commune_code, citizen_id=f"0011900{n:05d}", holder_name=HOLDER)
