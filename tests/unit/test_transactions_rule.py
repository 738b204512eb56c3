"""Each use case runs in one unit of work (`store.db.unit_of_work`), which alone commits or
rolls back: services and handlers hold no `commit()`/`rollback()` of their own."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "configurator"
ENDS_A_TRANSACTION = re.compile(r"\.(commit|rollback)\(")


def test_only_the_unit_of_work_commits_or_rolls_back() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for folder in ("services", "web")
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ENDS_A_TRANSACTION.search(line)
    ]
    assert found == [], "use `with unit_of_work(session, write=...)` instead:\n" + "\n".join(found)
