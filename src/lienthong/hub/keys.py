"""The hub's keys, held in files outside the database: one encrypts SDK secrets, one signs receipts."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lienthong.store.blobs import private_dir


def _private_file(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


class KeyRing:
    """Loads (or creates on first start) the hub's keys from ``key_dir``.

    ``LIENTHONG_HUB_SECRET_KEY`` (a Fernet key) overrides the secrets key file, so an operator
    can keep it in a secret manager rather than on the data disk.
    """

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = Path(key_dir)
        private_dir(self.key_dir)  # 0700, like the data folder (issue 12)
        secret = os.environ.get("LIENTHONG_HUB_SECRET_KEY")
        if secret:
            key = secret.encode("ascii")
        else:
            path = self.key_dir / "secrets.key"
            if not path.exists():
                _private_file(path, Fernet.generate_key())
            key = path.read_bytes().strip()
        self._fernet = Fernet(key)
        receipt_path = self.key_dir / "receipt-ed25519.pem"
        if not receipt_path.exists():
            private = Ed25519PrivateKey.generate()
            _private_file(
                receipt_path,
                private.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
        loaded = serialization.load_pem_private_key(receipt_path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{receipt_path} is not an Ed25519 key")
        self._receipt_key = loaded

    def encrypt_secret(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt_secret(self, token: bytes) -> str:
        return self._fernet.decrypt(token).decode("utf-8")

    def receipt_public_pem(self) -> str:
        return (
            self._receipt_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def sign_receipt(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A receipt: the fields plus an Ed25519 signature over their canonical JSON."""
        payload = canonical_json(fields)
        signature = self._receipt_key.sign(payload)
        return {**fields, "signature": base64.b64encode(signature).decode("ascii"), "algorithm": "Ed25519"}


def canonical_json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_receipt(receipt: dict[str, Any], public_pem: str) -> bool:
    """Check a receipt offline with the hub's published public key."""
    fields = {k: v for k, v in receipt.items() if k not in ("signature", "algorithm")}
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(receipt["signature"]), canonical_json(fields))
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True
