"""Signing with a key on a USB token or HSM through PKCS#11 (the Government CA's tokens, SoftHSM2 in tests).

Configured by the module path, the token (label or slot), the key's label and a PIN read from
a file or an environment variable, never from the command line and never logged. One session
gives both signers: pyHanko's ``PKCS11Signer`` for PDFs and a ``Credential`` whose key signs on
the token for XML-DSig (packages and other XML).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lienthong.signing import problems as P
from lienthong.signing.credentials import Credential
from lienthong.signing.errors import SigningError

# The PKCS#1 v1.5 mechanisms for the hashes XML-DSig and PAdES use.
_MECHANISMS = {"sha256": "SHA256_RSA_PKCS", "sha1": "SHA1_RSA_PKCS", "sha384": "SHA384_RSA_PKCS"}


@dataclass(frozen=True)
class TokenConfig:
    """Where the key is: module, token, key label; where the PIN comes from (file or environment)."""

    module: Path
    key_label: str
    token_label: str | None = None
    slot: int | None = None
    pin_file: Path | None = None
    pin_env: str | None = None

    def pin(self) -> str:
        """The PIN, read when needed: from ``pin_file`` (first line) or the ``pin_env`` variable."""
        if self.pin_file is not None:
            try:
                lines = self.pin_file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                _fail(f"the PIN file {self.pin_file} cannot be read: {exc.strerror or exc}")
            if lines and lines[0].strip():
                return lines[0].strip()
            _fail(f"the PIN file {self.pin_file} is empty")
        if self.pin_env is not None:
            value = os.environ.get(self.pin_env)
            if value:
                return value
            _fail(f"the environment variable {self.pin_env} holding the PIN is not set")
        _fail("no PIN source: give a PIN file or the name of an environment variable")


def _fail(detail: str) -> NoReturn:
    raise SigningError(P.TOKEN_FAILED("", detail=detail))


class TokenKey(rsa.RSAPrivateKey):
    """An RSA private key that never leaves the token: ``sign`` runs there; nothing can be exported."""

    def __init__(self, key: Any, public: rsa.RSAPublicKey) -> None:
        self._key = key
        self._public = public

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: Any,
    ) -> bytes:
        import pkcs11

        name = algorithm.name if isinstance(algorithm, hashes.HashAlgorithm) else ""
        if type(padding).__name__ != "PKCS1v15" or name not in _MECHANISMS:
            _fail(f"the token signs with PKCS#1 v1.5 and {', '.join(_MECHANISMS)} only")
        try:
            return bytes(self._key.sign(data, mechanism=getattr(pkcs11.Mechanism, _MECHANISMS[name])))
        except pkcs11.PKCS11Error as exc:
            _fail(f"the token refused to sign: {type(exc).__name__}")

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        _fail("the token key is used for signing only")

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        _fail("a token key cannot be exported")

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        _fail("a token key cannot be exported")

    def __copy__(self) -> TokenKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> TokenKey:
        return self


@dataclass
class TokenSession:
    """An open session on the token and the two signers it offers."""

    config: TokenConfig
    session: Any

    def certificate(self) -> x509.Certificate:
        import pkcs11

        try:
            wanted = {
                pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                pkcs11.Attribute.LABEL: self.config.key_label,
            }
            found = list(self.session.get_objects(wanted))
        except pkcs11.PKCS11Error as exc:
            _fail(f"cannot list the token's certificates: {type(exc).__name__}")
        if not found:
            _fail(f"the token has no certificate labelled {self.config.key_label!r}")
        return x509.load_der_x509_certificate(bytes(found[0][pkcs11.Attribute.VALUE]))

    def credential(self) -> Credential:
        """A credential whose key signs on the token (for XML-DSig); the chain is not on tokens."""
        import pkcs11

        cert = self.certificate()
        public = cert.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            _fail("only RSA keys are supported")
        try:
            key = self.session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self.config.key_label
            )
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned, pkcs11.PKCS11Error) as exc:
            _fail(f"no single private key labelled {self.config.key_label!r}: {type(exc).__name__}")
        return Credential(TokenKey(key, public), cert)

    def pdf_signer(self) -> Any:
        """pyHanko's PKCS#11 signer on this session (for ``DocumentSigner``)."""
        from pyhanko.sign.pkcs11 import PKCS11Signer

        return PKCS11Signer(self.session, cert_label=self.config.key_label, key_label=self.config.key_label)


@contextmanager
def open_token(config: TokenConfig) -> Iterator[TokenSession]:
    """A logged-in session on the configured token, closed on exit. The PIN is never logged."""
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    if not config.module.is_file():
        _fail(f"the PKCS#11 module {config.module} does not exist")
    criteria = TokenCriteria(label=config.token_label) if config.token_label else None
    try:
        session = open_pkcs11_session(
            str(config.module), slot_no=config.slot, token_criteria=criteria, user_pin=config.pin()
        )
    except pkcs11.PKCS11Error as exc:
        # The exception's name says what went wrong (PinIncorrect, TokenNotPresent, …); its text
        # may echo arguments, so it is not shown.
        _fail(f"cannot open the token: {type(exc).__name__}")
    except Exception as exc:  # pyHanko's own errors: no token with that label, several tokens
        _fail(f"cannot open the token: {exc}")
    try:
        yield TokenSession(config, session)
    finally:
        session.close()
