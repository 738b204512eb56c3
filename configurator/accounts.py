"""Merchant accounts: scrypt password hashes, database-backed sessions, the shared secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from configurator.db import begin_write
from configurator.models import AdminSession, AdminUser, AppSetting, LoginAttempt, utcnow

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
ATTEMPTS_KEPT = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    encode = base64.b64encode
    return (
        f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}$"
        f"{encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(session: Session, username: str, password: str) -> AdminUser:
    """Create the account or reset its password (the `create-admin` command)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    user = session.exec(select(AdminUser).where(AdminUser.username == username)).first()
    if user is None:
        user = AdminUser(username=username, password_hash=hash_password(password))
    else:
        user.password_hash = hash_password(password)
        # A reset password signs the account out everywhere.
        for old_session in session.exec(
            select(AdminSession).where(AdminSession.user_id == user.id)
        ):
            session.delete(old_session)
    session.add(user)
    session.commit()
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
    user = session.exec(select(AdminUser).where(AdminUser.username == username)).first()
    if user is None:
        # Spend the same time as a real check so that timing does not reveal usernames.
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


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


def sign_in(session: Session, username: str, password: str, address: str) -> AdminUser | None:
    """Check a sign-in, limited per account and address: after too many failures in a row the
    account is locked from that address (and a noisy address from every account) for a while,
    so that passwords cannot be guessed at speed. Every attempt is recorded."""
    begin_write(session)
    # Attempts on one account take turns (the row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE
    # already serialises them), so parallel guesses cannot all slip under the limit.
    session.exec(
        select(AdminUser.id).where(AdminUser.username == username).with_for_update()
    ).first()
    now = utcnow()
    since = now - LOCKOUT_WINDOW
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.created_at) < now - ATTEMPTS_KEPT))
    if (
        _failures_since(session, since, username=username, address=address)
        >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS
        or _failures_since(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        session.commit()
        raise LockedOut(int(LOCKOUT_WINDOW.total_seconds() // 60))
    user = authenticate(session, username, password)
    session.add(LoginAttempt(username=username, address=address, succeeded=user is not None))
    session.commit()
    return user


def start_session(session: Session, user: AdminUser) -> str:
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(id=_token_id(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME)
    )
    session.commit()
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
        session.delete(row)
        session.commit()
        return None
    return session.get(AdminUser, row.user_id)


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.get(AdminSession, _token_id(token))
    if row is not None:
        session.delete(row)
        session.commit()


def shared_secret(session: Session, key: str = "csrf_secret") -> str:
    """A random secret created once and kept in the database, so every worker signs alike."""
    row = session.get(AppSetting, key)
    if row is None:
        row = AppSetting(key=key, value=secrets.token_hex(32))
        session.add(row)
        session.commit()
    return row.value


_DUMMY_HASH = hash_password(secrets.token_hex(8))
