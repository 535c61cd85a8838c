"""Routing: which configured adapter instance pays each channel (bank, e-wallet, cash).

The routes come from the settings, the adapters from the registry; a build asks the routing
which adapter a payout goes through, and whether that adapter declares it can pay the channel.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from payments.adapters.base import PayoutAdapter
from payments.adapters.vocabulary import Capability
from payments.config import Settings

CHANNEL_CAPABILITY = {
    "bank": Capability.BANK_ACCOUNTS,
    "ewallet": Capability.WALLETS,
    "cash": Capability.CASH,
}


@dataclass(frozen=True)
class Routing:
    """Which adapter instance pays each channel, and the adapters themselves (for name checks)."""

    bank: str
    ewallet: str
    adapters: Mapping[str, PayoutAdapter]
    cash: str | None = None  # the post office; None: cash payouts are held (channel_not_routed)

    def adapter_for(self, channel: str) -> str | None:
        return {"bank": self.bank, "ewallet": self.ewallet, "cash": self.cash}.get(channel)


def routing_for(settings: Settings, adapters: Mapping[str, PayoutAdapter]) -> Routing:
    return Routing(
        bank=settings.route_bank, ewallet=settings.route_ewallet, cash=settings.route_cash, adapters=adapters
    )
