"""Settings from the environment, read in one place. These names are the public contract."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from configurator.core.mails import parse_smtp_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database_url: str
    admin_password: str | None
    secure_cookies: bool
    trusted_proxies: str = ""
    cart_retention_days: int = 30
    prune_interval_minutes: int = 60
    log_format: str = "text"
    metrics_token: str = ""
    access_log: bool = True
    smtp_url: str = ""
    """Where mails are sent (`smtp://host:port`); empty: they stay in the outbox, listed on the
    admin's Emails page."""
    mail_from: str = "Layerworks <shop@localhost>"
    merchant_email: str = ""
    """Who gets the merchant's mails (new order, low stock); empty: the sender address."""
    shop_url: str = ""
    """The shop's public address, for links in mails; empty: http://HOST:PORT."""
    mail_poll_seconds: int = 10
    mail_retention_days: int = 30
    """Sent mails older than this are pruned from the outbox (failed and waiting ones stay)."""

    @property
    def mail_retention(self) -> timedelta:
        return timedelta(days=self.mail_retention_days)

    @property
    def cart_retention(self) -> timedelta:
        """How long a cart nobody changes is kept: pruning deletes it after this, and the
        shopper's cart cookie lasts this long from the last change."""
        return timedelta(days=self.cart_retention_days)

    @classmethod
    def from_env(cls) -> Settings:
        default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'configurator.sqlite3'}"
        return cls(
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            database_url=os.environ.get("DATABASE_URL", default_db),
            admin_password=os.environ.get("CONFIGURATOR_ADMIN_PASSWORD") or None,
            secure_cookies=os.environ.get("CONFIGURATOR_SECURE_COOKIES", "") == "1",
            trusted_proxies=os.environ.get("TRUSTED_PROXIES", "").strip(),
            cart_retention_days=_whole_number("CART_RETENTION_DAYS", 30, least=1),
            prune_interval_minutes=_whole_number("PRUNE_INTERVAL_MINUTES", 60, least=0),
            log_format=_one_of("LOG_FORMAT", ("text", "json")),
            metrics_token=os.environ.get("METRICS_TOKEN", "").strip(),
            access_log=os.environ.get("ACCESS_LOG", "1").strip() != "0",
            smtp_url=_smtp_url(os.environ.get("SMTP_URL", "").strip()),
            mail_from=os.environ.get("MAIL_FROM", "").strip() or cls.mail_from,
            merchant_email=os.environ.get("MERCHANT_EMAIL", "").strip(),
            shop_url=os.environ.get("SHOP_URL", "").strip().rstrip("/"),
            mail_poll_seconds=_whole_number("MAIL_POLL_SECONDS", 10, least=1),
            mail_retention_days=_whole_number("MAIL_RETENTION_DAYS", 30, least=1),
        )

    @property
    def public_url(self) -> str:
        """The shop's address as links in mails name it."""
        return self.shop_url or f"http://{self.host}:{self.port}"

    @property
    def merchant_address(self) -> str:
        return self.merchant_email or self.mail_from


def _whole_number(name: str, default: int, *, least: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise SystemExit(f"{name}={text!r}: use a whole number of at least {least}.")
    return value


def _one_of(name: str, choices: tuple[str, ...]) -> str:
    """The variable's value, one of `choices` (the first when unset)."""
    text = os.environ.get(name, "").strip().lower() or choices[0]
    if text not in choices:
        raise SystemExit(f"{name}={text!r}: use one of {', '.join(choices)}.")
    return text


def _smtp_url(text: str) -> str:
    if text:
        try:
            parse_smtp_url(text)
        except ValueError as exc:
            raise SystemExit(f"SMTP_URL: {exc}.") from None
    return text
