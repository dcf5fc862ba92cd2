"""Signing credentials: a private key with its certificate and chain, loaded from files or made here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from lienthong.signing import problems as P
from lienthong.signing.errors import SigningError

PrivateKey = rsa.RSAPrivateKey


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Credential:
    """A private key, its certificate and the issuing chain above it (root excluded)."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def name(self) -> str:
        cns = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(cns[0].value) if cns else self.cert.subject.rfc4514_string()

    def save(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.key.pem`` and ``stem.cert.pem`` (the certificate followed by its chain)."""
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / f"{stem}.key.pem"
        cert_path = directory / f"{stem}.cert.pem"
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(b"".join(pem(c) for c in (self.cert, *self.chain)))
        return key_path, cert_path


PKCS12_SUFFIXES = frozenset({".p12", ".pfx"})


def load_credential(
    key_path: Path, cert_path: Path | None = None, password: bytes | None = None
) -> Credential:
    """A signing credential from files.

    Either a PKCS#12 file (``.p12``/``.pfx``: key, certificate and chain together; ``cert_path``
    optional) or a private key (PEM or DER) with its certificate file (PEM: the certificate and
    its chain in any order, or DER). Only RSA keys: what Vietnamese CAs issue and signxml and
    pyHanko both handle.
    """
    key_path = Path(key_path)
    key_data = _read(key_path)
    extra: list[x509.Certificate] = []
    try:
        if key_path.suffix.lower() in PKCS12_SUFFIXES:
            key, own, more = pkcs12.load_key_and_certificates(key_data, password)
            extra = [c for c in (own, *more) if c is not None]
        elif b"-----BEGIN" in key_data:
            key = serialization.load_pem_private_key(key_data, password)
        else:
            key = serialization.load_der_private_key(key_data, password)
    except (ValueError, TypeError) as exc:
        raise SigningError(P.KEY_UNREADABLE(str(key_path), file=str(key_path), reason=str(exc))) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        reason = f"{type(key).__name__} keys are not supported; use RSA"
        raise SigningError(P.KEY_UNREADABLE(str(key_path), file=str(key_path), reason=reason))
    certs = extra + (_read_certificates(Path(cert_path)) if cert_path is not None else [])
    # The certificate of this key may come anywhere in the files: find it by its public key.
    public = key.public_key().public_numbers()
    own_cert = next((c for c in certs if _public_numbers(c) == public), None)
    if own_cert is None:
        where = str(cert_path or key_path)
        reason = "no certificate matches the private key"
        raise SigningError(P.KEY_UNREADABLE(where, file=where, reason=reason))
    chain = tuple(c for c in certs if c != own_cert and c.issuer != c.subject)
    return Credential(key, own_cert, tuple(dict.fromkeys(chain)))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SigningError(P.KEY_UNREADABLE(str(path), file=str(path), reason=reason)) from None


def _read_certificates(path: Path) -> list[x509.Certificate]:
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningError(P.KEY_UNREADABLE(str(path), file=str(path), reason=str(exc))) from None


def _public_numbers(cert: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    key = cert.public_key()
    return key.public_numbers() if isinstance(key, rsa.RSAPublicKey) else None
