"""Request and response signatures: ECDSA P-256 for the bank, HMAC-SHA256 for the wallet."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from payments.adapters.bank_api import signing as bank
from payments.adapters.errors import AdapterConfigError
from payments.adapters.ewallet import signing as wallet


@pytest.fixture(scope="module")
def key_pair():
    private_pem, public_pem = bank.new_key_pair()
    return bank.load_private_key(private_pem), bank.load_public_key(public_pem)


def test_a_signed_request_verifies_and_any_changed_part_does_not(key_pair):
    private, public = key_pair
    message = bank.request_message("POST", "/v1/transfers/bulk", "2025-01-01T00:00:00Z", "r1", b'{"a":1}')
    signature = bank.sign(private, message)
    assert bank.verify(public, message, signature)
    for changed in (
        bank.request_message("GET", "/v1/transfers/bulk", "2025-01-01T00:00:00Z", "r1", b'{"a":1}'),
        bank.request_message("POST", "/v1/transfers/bulk2", "2025-01-01T00:00:00Z", "r1", b'{"a":1}'),
        bank.request_message("POST", "/v1/transfers/bulk", "2025-01-01T00:00:01Z", "r1", b'{"a":1}'),
        bank.request_message("POST", "/v1/transfers/bulk", "2025-01-01T00:00:00Z", "r2", b'{"a":1}'),
        bank.request_message("POST", "/v1/transfers/bulk", "2025-01-01T00:00:00Z", "r1", b'{"a":2}'),
    ):
        assert not bank.verify(public, changed, signature)


def test_a_signature_by_another_key_or_not_base64_does_not_verify(key_pair):
    _, public = key_pair
    other = bank.load_private_key(bank.new_key_pair()[0])
    message = bank.response_message(200, "r1", "2025-01-01T00:00:00Z", b"{}")
    assert not bank.verify(public, message, bank.sign(other, message))
    assert not bank.verify(public, message, "not base64 at all!")
    assert not bank.verify(public, message, "")


def test_a_key_that_is_not_ecdsa_p256_is_a_configuration_error():
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    p384_public = (
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(AdapterConfigError, match="P-256"):
        bank.load_private_key(rsa_pem)
    with pytest.raises(AdapterConfigError, match="P-256"):
        bank.load_public_key(p384_public)
    with pytest.raises(AdapterConfigError, match="PEM"):
        bank.load_private_key("-----BEGIN NOTHING-----")


def test_wallet_hmac_verifies_only_with_the_same_secret_and_message():
    message = wallet.callback_message("1735689600", "nonce-1", b'{"status":"SUCCESS"}')
    signature = wallet.sign(b"s" * 32, message)
    assert wallet.verify(b"s" * 32, message, signature)
    assert not wallet.verify(b"t" * 32, message, signature)
    assert not wallet.verify(b"s" * 32, wallet.callback_message("1735689600", "nonce-2", b"{}"), signature)
    assert not wallet.verify(b"s" * 32, message, "đ" + signature[1:])
