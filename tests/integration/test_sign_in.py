"""Signing in: Argon2id hashes (old scrypt hashes upgraded on the next sign-in), the password
checked with no transaction open, and limits that stay exact while checks run in parallel."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from configurator.services import accounts
from configurator.store.db import new_session
from tests.integration.conftest import ADMIN_PASSWORD, Shop, post_form

LEGACY_PASSWORD = "legacy-scrypt-password"
LEGACY_HASH = (
    "scrypt$16384$8$1$ECh5Zx3ZhmDlJDDhDGkB1w==$8SML6RIpi58bpXswT/OD4yR5s1zlvtgrjpyw8tJQVYk="
)
"""What the app stored before Argon2id, for LEGACY_PASSWORD."""


def stored_hash(shop: Shop, username: str) -> str:
    return str(shop.scalar("SELECT password_hash FROM admin_user WHERE username = :u", u=username))


def test_an_account_with_an_old_scrypt_hash_signs_in_and_is_upgraded_to_argon2id(
    shop: Shop, client: TestClient[Litestar]
) -> None:
    shop.execute(
        "INSERT INTO admin_user (username, password_hash, created_at)"
        " VALUES ('legacy', :h, '2026-01-01 00:00:00')",
        h=LEGACY_HASH,
    )
    wrong = post_form(client, "/admin/login", {"username": "legacy", "password": "not-it-at-all"})
    assert wrong.status_code == 401
    assert stored_hash(shop, "legacy") == LEGACY_HASH

    signed_in = post_form(
        client, "/admin/login", {"username": "legacy", "password": LEGACY_PASSWORD}
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin"
    upgraded = stored_hash(shop, "legacy")
    assert upgraded.startswith("$argon2id$")
    # The new hash works on its own, and only for the right password.
    with TestClient(shop.app) as other:
        again = post_form(
            other, "/admin/login", {"username": "legacy", "password": LEGACY_PASSWORD}
        )
        assert again.status_code == 303
        assert (
            post_form(other, "/admin/login", {"username": "legacy", "password": "wrong-one"})
        ).status_code == 401
    assert stored_hash(shop, "legacy") == upgraded


def _write_beside(shop: Shop) -> None:
    """A write on another connection, as another request or worker would make, that gives up
    after a second instead of waiting for a lock."""
    if shop.engine.dialect.name == "sqlite":
        database = shop.engine.url.database
        assert database
        raw = sqlite3.connect(database, timeout=1, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("UPDATE admin_user SET created_at = created_at WHERE username = 'admin'")
            raw.execute("COMMIT")
        finally:
            raw.close()
        return
    with shop.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '1s'"))
        connection.execute(
            text("UPDATE admin_user SET created_at = created_at WHERE username = 'admin'")
        )


def _slow_checks(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make every password check wait for `release`; `started` is set when one begins."""
    started, release = threading.Event(), threading.Event()
    original: Callable[..., tuple[bool, str | None]] = accounts.PASSWORDS.verify_and_update

    def waiting(password: Any, hash: Any) -> tuple[bool, str | None]:
        started.set()
        assert release.wait(10), "the test never released the password check"
        return original(password, hash)

    monkeypatch.setattr(accounts.PASSWORDS, "verify_and_update", waiting)
    return started, release


def test_other_writers_are_not_held_up_while_a_password_is_checked(
    shop: Shop, client: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = _slow_checks(monkeypatch)
    with ThreadPoolExecutor(1) as pool:
        signing_in = pool.submit(
            post_form, client, "/admin/login", {"username": "admin", "password": ADMIN_PASSWORD}
        )
        try:
            assert started.wait(10), "the sign-in never reached its password check"
            # The password is being checked right now; the database is free for others.
            _write_beside(shop)
        finally:
            release.set()
        response = signing_in.result(timeout=30)
    assert response.status_code == 303


def test_parallel_wrong_guesses_cannot_slip_past_the_limit(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight guesses at once from one address: the checks all run after the attempts are
    counted, so exactly five are checked and three are locked out."""
    _started, release = _slow_checks(monkeypatch)
    locked = threading.Semaphore(0)

    def guess() -> str:
        with new_session(shop.engine) as session:
            try:
                user = accounts.sign_in(session, "admin", "a-wrong-guess", "203.0.113.9")
            except accounts.LockedOut:
                locked.release()
                return "locked"
        return "signed in" if user else "wrong"

    with ThreadPoolExecutor(8) as pool:
        guesses = [pool.submit(guess) for _ in range(8)]
        try:
            for _ in range(3):
                assert locked.acquire(timeout=10), "fewer than three guesses were locked out"
        finally:
            release.set()
        outcomes = sorted(g.result(timeout=30) for g in guesses)

    assert outcomes == ["locked"] * 3 + ["wrong"] * 5
    assert shop.count("login_attempt") == 5
