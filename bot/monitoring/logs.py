"""Logging: JSON lines in production, plain text in a terminal; every line of a turn carries its conversation id.

The conversation id is the keyed hash the pipeline already uses, never a phone number; message text, names and
numbers are never logged at INFO or above anywhere in the code base.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

CONVERSATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("conversation", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (conversation := CONVERSATION.get()) is not None:
            line["conversation"] = conversation
        if (figures := getattr(record, "figures", None)) is not None:
            line["figures"] = figures  # numbers only, given with `extra={"figures": {...}}`
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        conversation = CONVERSATION.get()
        return f"{text} [conversation {conversation}]" if conversation else text


def configure_logging(level: str, style: str = "auto") -> None:
    """`style` is json, text, or auto (JSON unless stderr is a terminal)."""
    use_json = style == "json" or (style == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if use_json else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every URL at INFO, and Open Dental URLs carry phone digits, names and birthdates.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
