"""An accounts service bound to its database and clock: what the CLI and the web layer are handed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lienthong.accounts.service import Accounts


@dataclass(frozen=True)
class AccountStore:
    accounts: Accounts
    read: Callable[[], AbstractContextManager[Session]]  # reads only: never waits for the write lock
    write: Callable[[], AbstractContextManager[Session]]  # one transaction: commits together or not at all
    clock: Callable[[], datetime]
