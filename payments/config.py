"""Settings from the environment: frozen, validated once, refusing unsafe secrets in production.

Development and test runs get well-known development keys so that `make run` works on a
fresh machine; production refuses every one of them, compared as key bytes whatever id or
setting they are filed under, a secret key shorter than 32 bytes, and the in-process sandbox
adapter (no real money, and a callback secret published in its source).
"""

import base64
import hashlib
import hmac
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payments.errors import ConfigError

ENVIRONMENTS = ("development", "test", "production")
DEV_SECRET_KEY = "development-secret-key-never-use-in-production"  # noqa: S105 - refused in production
_DEV_PII_KEY = base64.b64encode(hashlib.sha256(b"payments development PII key").digest()).decode()
DEV_PII_KEYS = f"dev1:{_DEV_PII_KEY}"
DEV_PII_INDEX_KEY = base64.b64encode(hashlib.sha256(b"payments development index key").digest()).decode()
_DEV_SIGNING_SEED = hashlib.sha256(b"payments development ledger signing key").digest()
# Every published key, as bytes: refused in any PII or index setting in production.
_DEV_KEY_BYTES = (*(base64.b64decode(k) for k in (_DEV_PII_KEY, DEV_PII_INDEX_KEY)), _DEV_SIGNING_SEED)
MIN_SECRET_KEY_BYTES = 32
# Adapter kinds for development and tests only: the sandbox moves no real money and verifies
# callbacks with a secret anyone can read in its source unless told another.
DEVELOPMENT_ADAPTER_KINDS = frozenset({"sandbox"})


def development_signing_key() -> Ed25519PrivateKey:
    """A fixed, publicly known key: fine for demos, refused in production."""
    return Ed25519PrivateKey.from_private_bytes(_DEV_SIGNING_SEED)


@dataclass(frozen=True)
class PiiKey:
    key_id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///instance/payments.db"
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    pii_keys: tuple[PiiKey, ...] = field(default=(), repr=False)
    pii_index_key: bytes = field(default=b"", repr=False)
    ledger_signing_key_path: str | None = None
    ledger_origin: str = "payments.example/ledger"
    log_level: str = "INFO"
    token_ttl_days: int = 90
    instrument_change_hold_days: int = 30
    two_approver_threshold_vnd: int = 500_000_000
    scheduler_lease_seconds: int = 90
    province_code: str = "68"  # whose provincial rate overrides apply (Lâm Đồng)
    adapters_file: str | None = None  # TOML/JSON adapter instances; None: one in-process sandbox
    route_bank: str = "sandbox"  # the adapter instance that pays bank accounts
    route_ewallet: str = "sandbox"  # the adapter instance that pays e-wallets
    route_cash: str = "sandbox"  # the adapter instance that pays cash at the post office
    unclaimed_cash_months: int = 3  # DOMAIN rule 5: uncollected months to suspend, then to terminate
    dispatch_lease_seconds: int = 60  # a dead dispatcher's batch is taken over after this
    unconfirmed_payout_days: int = 3  # in flight longer than this: an UNCONFIRMED_PAYOUT exception
    max_upload_mb: int = 512  # largest request body (statement files, registry imports): 413 beyond
    schedule: str = "verify_audit=30 3 * * *"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env_vars = os.environ if environ is None else environ
        env = env_vars.get("PAYMENTS_ENV", "development")
        if env not in ENVIRONMENTS:
            raise ConfigError(f"PAYMENTS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
        production = env == "production"
        settings = cls(
            env=env,
            database_url=env_vars.get("PAYMENTS_DATABASE_URL", default_database_url()),
            secret_key=_secret(env_vars, "PAYMENTS_SECRET_KEY", DEV_SECRET_KEY, production),
            pii_keys=parse_pii_keys(_secret(env_vars, "PAYMENTS_PII_KEYS", DEV_PII_KEYS, production)),
            pii_index_key=_decode_key(
                "PAYMENTS_PII_INDEX_KEY",
                _secret(env_vars, "PAYMENTS_PII_INDEX_KEY", DEV_PII_INDEX_KEY, production),
            ),
            ledger_signing_key_path=env_vars.get("PAYMENTS_LEDGER_SIGNING_KEY") or None,
            ledger_origin=env_vars.get("PAYMENTS_LEDGER_ORIGIN", cls.ledger_origin),
            log_level=env_vars.get("PAYMENTS_LOG_LEVEL", "INFO").upper(),
            token_ttl_days=_int(env_vars, "PAYMENTS_TOKEN_TTL_DAYS", cls.token_ttl_days),
            instrument_change_hold_days=_int(  # 0: no waiting after an instrument changes
                env_vars, "PAYMENTS_INSTRUMENT_CHANGE_HOLD_DAYS", cls.instrument_change_hold_days, minimum=0
            ),
            two_approver_threshold_vnd=_int(  # 0: every batch needs two approvers
                env_vars, "PAYMENTS_TWO_APPROVER_THRESHOLD_VND", cls.two_approver_threshold_vnd, minimum=0
            ),
            scheduler_lease_seconds=_int(
                env_vars, "PAYMENTS_SCHEDULER_LEASE_SECONDS", cls.scheduler_lease_seconds
            ),
            schedule=env_vars.get("PAYMENTS_SCHEDULE", cls.schedule),
            province_code=env_vars.get("PAYMENTS_PROVINCE_CODE", cls.province_code),
            adapters_file=env_vars.get("PAYMENTS_ADAPTERS_FILE") or None,
            route_bank=env_vars.get("PAYMENTS_ROUTE_BANK", cls.route_bank),
            route_ewallet=env_vars.get("PAYMENTS_ROUTE_EWALLET", cls.route_ewallet),
            route_cash=env_vars.get("PAYMENTS_ROUTE_CASH", cls.route_cash),
            unclaimed_cash_months=_int(env_vars, "PAYMENTS_UNCLAIMED_CASH_MONTHS", cls.unclaimed_cash_months),
            dispatch_lease_seconds=_int(
                env_vars, "PAYMENTS_DISPATCH_LEASE_SECONDS", cls.dispatch_lease_seconds
            ),
            max_upload_mb=_int(env_vars, "PAYMENTS_MAX_UPLOAD_MB", cls.max_upload_mb),
            unconfirmed_payout_days=_int(
                env_vars, "PAYMENTS_UNCONFIRMED_PAYOUT_DAYS", cls.unconfirmed_payout_days
            ),
        )
        if production:
            settings.check_production_secrets()
        return settings

    def check_production_secrets(self) -> None:
        """Raise ConfigError naming the setting that holds a development, short or reused key,
        or an adapter fit for development only."""
        self.load_signing_key()  # fails fast on a missing or development key
        if len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"PAYMENTS_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes of random text "
                "in production"
            )
        for key in self.pii_keys:
            _refuse_development_key("PAYMENTS_PII_KEYS", key.key)
        _refuse_development_key("PAYMENTS_PII_INDEX_KEY", self.pii_index_key)
        if any(hmac.compare_digest(key.key, self.pii_index_key) for key in self.pii_keys):
            raise ConfigError("PAYMENTS_PII_INDEX_KEY must differ from every key in PAYMENTS_PII_KEYS")
        if self.adapters_file is None:
            raise ConfigError("PAYMENTS_ADAPTERS_FILE must name the bank and e-wallet adapters in production")
        _refuse_development_adapters(Path(self.adapters_file))

    def load_signing_key(self) -> Ed25519PrivateKey:
        """The ledger checkpoint key: from PAYMENTS_LEDGER_SIGNING_KEY, or the development key."""
        if self.ledger_signing_key_path is None:
            if self.is_production:
                raise ConfigError("PAYMENTS_LEDGER_SIGNING_KEY must name an Ed25519 PEM file in production")
            return development_signing_key()
        key = _load_ed25519(Path(self.ledger_signing_key_path))
        if self.is_production and _same_key(key, development_signing_key()):
            raise ConfigError("PAYMENTS_LEDGER_SIGNING_KEY is the development key; production refuses it")
        return key


def default_database_url() -> str:
    return f"sqlite:///{Path('instance').resolve() / 'payments.db'}"


def parse_pii_keys(raw: str) -> tuple[PiiKey, ...]:
    """`id:base64key,id:base64key`: the first encrypts, every one decrypts."""
    keys = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise ConfigError("PAYMENTS_PII_KEYS entries must look like 'keyid:base64-of-32-bytes'")
        keys.append(PiiKey(key_id, _decode_key("PAYMENTS_PII_KEYS", encoded)))
    if not keys:
        raise ConfigError("PAYMENTS_PII_KEYS must hold at least one key")
    if len({k.key_id for k in keys}) != len(keys):
        raise ConfigError("PAYMENTS_PII_KEYS has a repeated key id")
    return tuple(keys)


def _secret(env_vars: Mapping[str, str], name: str, dev_value: str, production: bool) -> str:
    value = env_vars.get(name, "")
    if production and not value:
        raise ConfigError(f"{name} must be set in production")
    if production and dev_value in value:
        raise ConfigError(f"{name} holds a development key; production refuses it")
    return value or dev_value


def _refuse_development_key(name: str, key: bytes) -> None:
    if any(hmac.compare_digest(key, dev) for dev in _DEV_KEY_BYTES):
        raise ConfigError(f"{name} holds a development key; production refuses it")


def _refuse_development_adapters(path: Path) -> None:
    """Refuse an instance of a development-only kind. A file that cannot be read is left to the
    adapter registry, which names the problem when the application builds the adapters."""
    readers = {".toml": tomllib.loads, ".json": json.loads}
    reader = readers.get(path.suffix)
    try:
        instances = reader(path.read_text(encoding="utf-8")) if reader else None
    except (OSError, ValueError):
        return
    if not isinstance(instances, dict):
        return
    for name, instance in instances.items():
        kind = instance.get("kind") if isinstance(instance, dict) else None
        if kind in DEVELOPMENT_ADAPTER_KINDS:
            raise ConfigError(
                f"PAYMENTS_ADAPTERS_FILE: adapter instance {name!r} is of kind {kind!r}, for development "
                "and tests only (no real money; callbacks signed with a published secret); production "
                "refuses it: configure a bank_api, ewallet, iso20022 or vnpost instance"
            )


def _decode_key(name: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ConfigError(f"{name} is not valid base64") from exc
    if len(key) != 32:
        raise ConfigError(f"{name} keys must be 32 bytes (base64 of 32 random bytes)")
    return key


def _int(env_vars: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """A whole number of at least `minimum`: these are counts, days, seconds and đồng, and a
    zero or negative one would quietly turn a safeguard off (suspend every cash recipient at
    once, flag every payout as unconfirmed, a lease that is always lost)."""
    raw = env_vars.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _load_ed25519(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"PAYMENTS_LEDGER_SIGNING_KEY: cannot read an Ed25519 key from {path}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("PAYMENTS_LEDGER_SIGNING_KEY must be an Ed25519 private key")
    return key


def _same_key(a: Ed25519PrivateKey, b: Ed25519PrivateKey) -> bool:
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return a.public_key().public_bytes(*raw) == b.public_key().public_bytes(*raw)
