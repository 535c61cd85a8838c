"""ECDSA P-256 signatures over requests and responses of the bank API.

A request is signed over `METHOD \\n PATH \\n TIMESTAMP \\n REQUEST-ID \\n SHA-256(body)`; the
bank's response over `STATUS \\n REQUEST-ID \\n TIMESTAMP \\n SHA-256(body)`, so that a
response cannot be replayed as the answer to another request. Signatures are DER, base64.
"""

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from payments.adapters.errors import AdapterConfigError

_ALGORITHM = ec.ECDSA(hashes.SHA256())


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def request_message(method: str, path: str, timestamp: str, request_id: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), path, timestamp, request_id, body_digest(body))).encode()


def response_message(status: int, request_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join((str(status), request_id, timestamp, body_digest(body))).encode()


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, _ALGORITHM)).decode()


def verify(key: ec.EllipticCurvePublicKey, message: bytes, signature: str) -> bool:
    """True only for a well-formed signature by `key` over `message`."""
    try:
        key.verify(base64.b64decode(signature, validate=True), message, _ALGORITHM)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise AdapterConfigError(f"not a PEM private key: {type(exc).__name__}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise AdapterConfigError("the signing key must be ECDSA P-256")
    return key


def load_public_key(pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise AdapterConfigError(f"not a PEM public key: {type(exc).__name__}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise AdapterConfigError("the bank's key must be ECDSA P-256")
    return key


def new_key_pair() -> tuple[str, str]:
    """A fresh (private PEM, public PEM) pair, for simulators and tests."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()
