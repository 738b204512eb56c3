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

_SECRET_FIELD = re.compile(
    r"(?i)(\b[\w-]*(?:password|passwd|token|secret|cookie|csrf|session|authorization)[\w-]*"
    r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)[^\s\"'&;,\\]+"
)
_COOKIE_HEADER = re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\n\"']+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"'\\]+")
_CARD_LIKE = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?!\w|\.\d)")
"""13 to 19 digits, optionally grouped by spaces or dashes: what a payment card number looks
like. Order numbers (CFG-…), prices and timestamps are shorter or not all digits."""

ACCESS_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms", "client")


def redact(text: str) -> str:
    text = _COOKIE_HEADER.sub(r"\1[redacted]", text)
    text = _SECRET_FIELD.sub(r"\1[redacted]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    return _CARD_LIKE.sub("[redacted number]", text)


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


def configure_logging(log_format: str = "text", *, stream: TextIO | None = None) -> None:
    """Send every logger's lines (ours, uvicorn's) to standard error in the chosen format.
    Called again, it replaces its own handler: safe in tests and in each worker process."""
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
