"""axe-core on every page a flow reaches through the page objects, when the run asks for it
(`--axe`): serious and critical violations (and heading-order) fail the flow at its end, each
with the page it was found on. Off by default: each check costs about a second."""

from __future__ import annotations

import weakref
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Error, Page

BLOCKING = {"serious", "critical"}
# Rules of lesser impact that these pages must pass too.
ALSO_BLOCKING = {"heading-order"}


class Audit:
    enabled = False
    # Browsers with JavaScript off: axe cannot run there (its script would never answer).
    without_javascript: weakref.WeakSet[BrowserContext] = weakref.WeakSet()
    found: list[str] = []


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    return [
        v
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING or v.get("id") in ALSO_BLOCKING
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"    {', '.join(map(str, node['target']))}  {summary}")
    return "\n".join(lines)


def audit(page: Page, what: str) -> None:
    """Check the page as it is now, when the run asked for --axe."""
    if not Audit.enabled or page.context in Audit.without_javascript:
        return
    try:
        found = blocking_violations(page)
    except Error:
        return  # JavaScript is off in this browser: axe cannot run there
    if found:
        Audit.found.append(f"[{what}: {page.url}]\n{describe(found)}")
