"""Password hashing with Argon2id (argon2-cffi) and the minimal password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024
_HASHER = PasswordHasher()  # the library's RFC 9106 "low memory" profile: Argon2id, 64 MiB, t=3


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


# Checked against a missing user too, so a wrong name takes as long as a wrong password.
DUMMY_HASH = hash_password("not-a-real-password")
