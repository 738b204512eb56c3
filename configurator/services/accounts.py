"""Merchant accounts: Argon2id password hashes, database-backed sessions, sign-in limits, the
shared secret."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.base import ensure_str
from sqlmodel import Session, col, func, select, update

from configurator.store.db import unit_of_work
from configurator.store.models import AdminSession, AdminUser, AppSetting, LoginAttempt, utcnow

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
ATTEMPTS_KEPT = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10


class LegacyScryptHasher:
    """The scrypt hashes written before Argon2id (`scrypt$N$r$p$salt$digest`): still accepted,
    and replaced by an Argon2id hash on the account's next successful sign-in."""

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        try:
            return ensure_str(hash).startswith("scrypt$")
        except UnicodeDecodeError:
            return False

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        n, r, p = 2**14, 8, 1
        salt = salt or secrets.token_bytes(16)
        secret = password.encode() if isinstance(password, str) else password
        digest = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=32)
        encode = base64.b64encode
        return f"scrypt${n}${r}${p}${encode(salt).decode()}${encode(digest).decode()}"

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        secret = password.encode() if isinstance(password, str) else password
        try:
            _scheme, n, r, p, salt, digest = ensure_str(hash).split("$")
            expected = base64.b64decode(digest)
            actual = hashlib.scrypt(
                secret,
                salt=base64.b64decode(salt),
                n=int(n),
                r=int(r),
                p=int(p),
                dklen=len(expected),
            )
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(actual, expected)

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return True


PASSWORDS = PasswordHash(
    (
        # OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): about 20 ms of one core. The
        # shop runs on a few cores; a flood of sign-ins must leave them to shoppers, and the
        # sign-in limits, not the cost of one guess, are what stop guessing online.
        Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),
        LegacyScryptHasher(),
    )
)
HASHING_THREADS = max(1, (os.cpu_count() or 2) // 2)
_HASHING = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="password-hashing")
"""Sign-ins take turns on at most half the cores, so a flood of them queues here instead of
taking the CPU, the database and the request threads from shoppers. (A lower thread priority
for these threads made no measurable difference in `make bench`, so they have none.)"""


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def verify_password(password: str, stored: str) -> bool:
    try:
        return PASSWORDS.verify(password, stored)
    except UnknownHashError:
        return False


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(session: Session, username: str, password: str) -> AdminUser:
    """Create the account or reset its password (the `create-admin` command)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    password_hash = hash_password(password)  # before the transaction, not inside it
    with unit_of_work(session, write=True):
        user = session.exec(select(AdminUser).where(AdminUser.username == username)).first()
        if user is None:
            user = AdminUser(username=username, password_hash=password_hash)
        else:
            user.password_hash = password_hash
            # A reset password signs the account out everywhere.
            for old_session in session.exec(
                select(AdminSession).where(AdminSession.user_id == user.id)
            ):
                session.delete(old_session)
        session.add(user)
        return user


def has_any_admin(session: Session) -> bool:
    return session.exec(select(AdminUser.id)).first() is not None


def ensure_initial_admin(session: Session, password_from_env: str | None) -> str | None:
    """Create the first account `admin` on first start.

    Uses CONFIGURATOR_ADMIN_PASSWORD when set; otherwise generates a random password and
    returns it so that the caller prints it once. Returns None when nothing was generated.
    """
    if has_any_admin(session):
        return None
    if password_from_env:
        set_password(session, "admin", password_from_env)
        return None
    generated = secrets.token_urlsafe(12)
    set_password(session, "admin", generated)
    return generated


def authenticate(session: Session, username: str, password: str) -> AdminUser | None:
    """Check a password with no limits and no rehash (the command line and tests)."""
    with unit_of_work(session):  # ends before the hash is computed: nothing stays open
        user = session.exec(select(AdminUser).where(AdminUser.username == username)).first()
    matches = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    return user if user is not None and matches else None


class LockedOut(Exception):
    """Too many failed sign-ins; nothing is checked until the window passes."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"locked for {minutes} minutes")
        self.minutes = minutes


def _failures_since(session: Session, since: datetime, **match: str) -> int:
    last_success = session.exec(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.succeeded == True,  # noqa: E712
            *(getattr(LoginAttempt, k) == v for k, v in match.items()),
        )
    ).one()
    if last_success is not None:
        if last_success.tzinfo is None:
            last_success = last_success.replace(tzinfo=UTC)
        since = max(since, last_success)
    return session.exec(
        select(func.count()).where(
            LoginAttempt.succeeded == False,  # noqa: E712
            col(LoginAttempt.created_at) > since,
            *(getattr(LoginAttempt, k) == v for k, v in match.items()),
        )
    ).one()


@dataclass(frozen=True)
class SignInAttempt:
    """An attempt counted against the limits (as a failure until its password matches)."""

    attempt_id: int
    user_id: int | None
    stored_hash: str


@dataclass(frozen=True)
class PasswordCheck:
    matches: bool
    new_hash: str | None = None
    """An Argon2id hash to store instead of an older one (scrypt, or weaker parameters)."""


def begin_sign_in(session: Session, username: str, address: str) -> SignInAttempt:
    """Count an attempt, limited per account and address: after too many failures in a row the
    account is locked from that address (and a noisy address from every account) for a while,
    so that passwords cannot be guessed at speed.

    One short write transaction. The attempt is recorded as a failure before its password is
    checked, so parallel guesses cannot all slip under the limit while they are being hashed;
    `finish_sign_in` turns it into a success when the password matches."""
    with unit_of_work(session, write=True):
        # Attempts on one account take turns here (the row lock on PostgreSQL; SQLite's BEGIN
        # IMMEDIATE already serialises them).
        user = session.exec(
            select(AdminUser).where(AdminUser.username == username).with_for_update()
        ).first()
        now = utcnow()
        since = now - LOCKOUT_WINDOW
        if (
            _failures_since(session, since, username=username, address=address)
            >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS
            or _failures_since(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS
        ):
            raise LockedOut(int(LOCKOUT_WINDOW.total_seconds() // 60))
        attempt = LoginAttempt(username=username, address=address, succeeded=False)
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        found = SignInAttempt(
            attempt.id,
            user.id if user else None,
            # An unknown account costs the same time as a real check: timing reveals no usernames.
            user.password_hash if user else _DUMMY_HASH,
        )
        return found


def check_password(attempt: SignInAttempt, password: str) -> PasswordCheck:
    """The CPU-heavy part, with no database connection or transaction open."""
    try:
        matches, new_hash = PASSWORDS.verify_and_update(password, attempt.stored_hash)
    except UnknownHashError:
        return PasswordCheck(False)
    if attempt.user_id is None:
        return PasswordCheck(False)
    return PasswordCheck(matches, new_hash)


def finish_sign_in(
    session: Session, attempt: SignInAttempt, check: PasswordCheck
) -> AdminUser | None:
    """Record a matching password (one short write: the attempt succeeded, and an old hash is
    replaced by Argon2id); a wrong one was already counted by `begin_sign_in`."""
    if not check.matches or attempt.user_id is None:
        return None
    with unit_of_work(session, write=True):
        session.exec(
            update(LoginAttempt)
            .where(col(LoginAttempt.id) == attempt.attempt_id)
            .values(succeeded=True)
        )
        if check.new_hash is not None:
            # Only if the password was not changed meanwhile (a reset wins over a rehash).
            session.exec(
                update(AdminUser)
                .where(
                    col(AdminUser.id) == attempt.user_id,
                    col(AdminUser.password_hash) == attempt.stored_hash,
                )
                .values(password_hash=check.new_hash)
            )
        user = session.get(AdminUser, attempt.user_id, populate_existing=True)
        return user


def sign_in(session: Session, username: str, password: str, address: str) -> AdminUser | None:
    """Check a sign-in within the limits (see `begin_sign_in`); every attempt is recorded. The
    password is hashed between two short transactions, never while one is open."""
    attempt = begin_sign_in(session, username, address)
    return finish_sign_in(session, attempt, check_password(attempt, password))


async def sign_in_in_turn(
    session: Session, username: str, password: str, address: str
) -> AdminUser | None:
    """`sign_in` on the hashing threads. Sign-ins take turns there: a flood of them waits in a
    queue that holds no request thread, and at most one sign-in per hashing thread writes to
    the database or takes CPU at a time, so shoppers' requests keep theirs."""
    return await asyncio.wrap_future(_HASHING.submit(sign_in, session, username, password, address))


def start_session(session: Session, user: AdminUser) -> str:
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    with unit_of_work(session, write=True):
        session.add(
            AdminSession(
                id=_token_id(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME
            )
        )
        return token


def user_for_session(session: Session, token: str | None) -> AdminUser | None:
    if not token or len(token) > 128:
        return None
    row = session.get(AdminSession, _token_id(token))
    if row is None:
        return None
    expires_at = row.expires_at
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= datetime.now(UTC):
        with unit_of_work(session, write=True):
            expired = session.get(AdminSession, _token_id(token))
            if expired is not None:
                session.delete(expired)
        return None
    return session.get(AdminUser, row.user_id)


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    with unit_of_work(session, write=True):
        row = session.get(AdminSession, _token_id(token))
        if row is not None:
            session.delete(row)


def shared_secret(session: Session, key: str = "csrf_secret") -> str:
    """A random secret created once and kept in the database, so every worker signs alike."""
    row = session.get(AppSetting, key)
    if row is None:
        with unit_of_work(session, write=True):
            row = session.get(AppSetting, key)  # another worker may have created it meanwhile
            if row is None:
                row = AppSetting(key=key, value=secrets.token_hex(32))
                session.add(row)
    return row.value


_DUMMY_HASH = hash_password(secrets.token_hex(8))
