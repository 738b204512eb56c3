"""What never reaches a log line, whoever logged it."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from configurator.logs import JsonFormatter, TextFormatter, redact


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("password=hunter2&username=admin", "password=[redacted]&username=admin"),
        ('{"new_password": "hunter2"}', '{"new_password": "[redacted]"}'),
        ("_csrf_token=abc.def-1", "_csrf_token=[redacted]"),
        ("Cookie: admin_session=9f8e7d; cart=xyz", "Cookie: [redacted]"),
        ("Authorization: Bearer s3cr3t-token", "Authorization: Bearer [redacted]"),
        ("sent Bearer abc123 to /metrics", "sent Bearer [redacted] to /metrics"),
        ("card 4111 1111 1111 1111 here", "card [redacted number] here"),
        ("card 4111-1111-1111-1111.", "card [redacted number]."),
        ("card 378282246310005", "card [redacted number]"),
    ],
)
def test_secrets_are_redacted(line: str, kept: str) -> None:
    assert redact(line) == kept


@pytest.mark.parametrize(
    "line",
    [
        "GET /orders/[token] 200 3.1 ms 203.0.113.7",
        "order CFG-8H2K4M9Q placed: 3 ship now, 2 once restocked, $1,749.00",
        "2026-12-01T17:02:03Z request 0123456789abcdef0123456789abcdef",
        "option 1234567 quantity 12",
    ],
)
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert redact(line) == line


def test_both_formats_redact_the_message_and_the_traceback() -> None:
    try:
        raise ValueError("password=hunter2 card 4111111111111111")
    except ValueError:
        record = logging.LogRecord(
            "configurator", logging.ERROR, __file__, 1, "failed: %s", ("token=abc",), None
        )
        record.exc_info = sys.exc_info()
    text = TextFormatter().format(record)
    entry = json.loads(JsonFormatter().format(record))
    for output in (text, entry["message"] + entry["exception"]):
        assert "hunter2" not in output
        assert "4111111111111111" not in output
        assert "token=abc" not in output
