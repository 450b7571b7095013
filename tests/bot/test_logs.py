"""Log lines: JSON with the conversation id (a keyed hash), never message content."""

from __future__ import annotations

import json
import logging

from bot.monitoring.logs import CONVERSATION, JsonFormatter


def test_json_log_lines_carry_the_conversation_id() -> None:
    record = logging.LogRecord(
        "bot.queue.worker", logging.WARNING, __file__, 1, "turn failed: %s", ("OdUnavailable",), None
    )
    token = CONVERSATION.set("3f2a9c")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        CONVERSATION.reset(token)
    assert (line["level"], line["logger"], line["message"], line["conversation"]) == (
        "WARNING", "bot.queue.worker", "turn failed: OdUnavailable", "3f2a9c",
    )  # fmt: skip
