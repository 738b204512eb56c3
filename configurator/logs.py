"""Logging for operators: readable text by default, JSON lines with LOG_FORMAT=json.

Every line goes through `redact` last, whatever logged it (our code, uvicorn, a traceback):
values of password, token, cookie, CSRF and secret fields, bearer credentials and card-like
numbers never reach a log file."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being served (set by `web.observe`), for every line logged meanwhile."""

_SECRET_WORDS = ("password", "passwd", "token", "secret", "cookie", "csrf", "session", "authoriz")
_SECRET_FIELD = re.compile(
    r"(?i)((?:password|passwd|token|secret|cookie|csrf|session|authorization)[\w-]*"
    r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)[^\s\"'&;,\\]+"
)
_COOKIE_HEADER = re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\n\"']+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"'\\]+")
_DIGIT_RUN = re.compile(r"\d[\d -]{11,}\d")
"""A run of digits, spaces and dashes: a card-like number when it holds 13 digits or more
(payment cards have 13 to 19; a longer run is redacted whole). Order numbers (CFG-…), prices,
times and addresses have fewer, or letters and dots in between."""


ACCESS_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms", "client")


def redact(text: str) -> str:
    """The line without secrets. Cheap when there is nothing to hide: the patterns run only
    on lines that contain one of the words or a long run of digits."""
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        text = _COOKIE_HEADER.sub(r"\1[redacted]", text)
        text = _SECRET_FIELD.sub(r"\1[redacted]", text)
    if "bearer" in lowered:
        text = _BEARER.sub(r"\1[redacted]", text)
    return _DIGIT_RUN.sub(_card_like, text)


def _card_like(found: re.Match[str]) -> str:
    run = found.group(0)
    if sum(character.isdigit() for character in run) < 13:
        return run
    before = found.string[found.start() - 1 : found.start()]
    after = found.string[found.end() : found.end() + 2]
    joined = (before and (before.isalnum() or before in "._")) or (
        after[:1] and (after[:1].isalnum() or after[:1] == "_")
    )
    if joined:
        return run  # part of a word or a hex id, not a number on its own
    if after[:1] == "." and after[1:2].isdigit():
        return run  # a decimal
    return "[redacted number]"


def _request_id(record: logging.LogRecord) -> str | None:
    found = getattr(record, "request_id", None)
    return str(found) if found else current_request_id.get()


class TextFormatter(logging.Formatter):
    """`2026-12-01T17:02:03Z INFO configurator.access GET /cart 200 3.1 ms [id]`."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {record.levelname} {record.name} {record.getMessage()}"
        request_id = _request_id(record)
        if request_id:
            line += f" [{request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id and, for access
    lines, method, path, route, status, duration_ms and client."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id(record)
        if request_id:
            entry["request_id"] = request_id
        for field in ACCESS_FIELDS[1:]:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


_HANDLER_NAME = "configurator"


def configure_logging(
    log_format: str = "text", *, access_log: bool = True, stream: TextIO | None = None
) -> None:
    """Send every logger's lines (ours, uvicorn's) to standard error in the chosen format.
    Called again, it replaces its own handler: safe in tests and in each worker process.

    `access_log=False` leaves out the line per request (it costs Python's logging, a few tens
    of microseconds a request; nginx's access log has the same request ids)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Our access line (configurator.access) replaces uvicorn's.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("configurator.access").setLevel(
        logging.INFO if access_log else logging.WARNING
    )
