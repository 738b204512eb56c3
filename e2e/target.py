"""Which shop the browser flows run against: a server the suite starts itself (one per pytest
worker, each on its own SQLite file and port), or the one named by `E2E_BASE_URL`.

Against a server of its own the merchant signs in as `admin` with `LOCAL_ADMIN_PASSWORD`;
against `E2E_BASE_URL` with `E2E_ADMIN_USER` / `E2E_ADMIN_PASSWORD`."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

LOCAL_ADMIN_PASSWORD = "e2e-merchant-password-1"
EXTERNAL_URL = os.environ.get("E2E_BASE_URL", "").strip().rstrip("/")
# Every product a flow creates starts with this, so a merchant recognises (and may delete)
# what an interrupted run left behind on a shared server.
SCRATCH_PREFIX = "QA e2e"
# The cookie that carries a merchant's session (the server's `ADMIN_COOKIE`): what a browser
# needs to be signed in, and nothing of a shopper's cart.
ADMIN_SESSION_COOKIE = "admin_session"


@dataclass(frozen=True)
class Merchant:
    username: str
    password: str


def merchant() -> Merchant:
    """The merchant account the flows sign in with."""
    if not EXTERNAL_URL:
        return Merchant("admin", LOCAL_ADMIN_PASSWORD)
    return Merchant(
        os.environ.get("E2E_ADMIN_USER", "admin"), os.environ.get("E2E_ADMIN_PASSWORD", "")
    )


def scratch_name(what: str) -> tuple[str, str]:
    """A recognisable, unique product name and its web address: ("QA e2e Bike 3fa9c1",
    "qa-e2e-bike-3fa9c1")."""
    tag = secrets.token_hex(3)
    name = f"{SCRATCH_PREFIX} {what} {tag}"
    return name, "-".join(name.lower().split())


HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
FULL_CHROMIUM = "/usr/bin/chromium"


def chromium(*, headless: bool = True) -> str:
    """The Chromium the flows drive: `E2E_CHROMIUM`, else Debian's. Headless, its headless
    shell (package chromium-headless-shell: Chromium without the browser's own windows, what
    Playwright itself runs for headless tests), which needs about half the CPU per page (see
    README, Browser flows); headed (`--headed`), the full browser, which has windows to show."""
    given = os.environ.get("E2E_CHROMIUM", "").strip()
    if given:
        return given
    if headless and Path(HEADLESS_SHELL).exists():
        return HEADLESS_SHELL
    return FULL_CHROMIUM
