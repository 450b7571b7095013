"""Understanding through an OpenAI-compatible model, falling back to the offline rules on any failure.

The model fills the same `Understanding` through structured output. It sees the patient's own words, today's
date and time zone, the times we offered (no names, no other patients) and what we are waiting for; it never
sees other patients' data and cannot act: the graph still needs the patient's explicit yes to write anything.
Safety is not left to it: the rules' emergency, staff-only and ask-for-a-person detection always stand; the
conversation's language is chosen before either reads the message (`flows/nlu/language.py`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from flows.nlu.rules import understand as rules_understand
from flows.nlu.understanding import Intent, Understanding
from flows.state import ConversationState

logger = logging.getLogger(__name__)

SYSTEM = """You read one WhatsApp message from a patient of a dental practice and fill the schema with what the
message itself says. Today is {today} ({weekday}), the time is {clock}, time zone {zone}. Resolve relative dates
("tomorrow", "next Tuesday", "the 7th") to ISO dates in the future. Times are 24-hour HH:MM. intent is one of
book, reschedule, cancel, confirm, info, human, other_times, never_mind, greeting, thanks, or null. kind is one of
{kinds}, or null. choice is the 1-based number of an offered time the patient picks, or null. yes is true or false
only when the patient answers a yes/no question. Leave anything the message does not say as null.
We are waiting for: {awaiting}.
Times offered to the patient: {offered}."""


class LlmUnderstanding:
    def __init__(self, model: BaseChatModel, *, timeout: float, kinds: list[str]) -> None:
        self.structured = model.with_structured_output(Understanding, method="json_schema")
        self.timeout = timeout
        self.kinds = kinds

    async def __call__(
        self, words: str, now: datetime, language: str, state: ConversationState
    ) -> Understanding:
        rules = rules_understand(words, now, language=language)
        if not words.strip():
            return rules
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self.structured.ainvoke(self._messages(words, now, state))
            reading = raw if isinstance(raw, Understanding) else Understanding.model_validate(raw)
        except (
            Exception
        ) as exc:  # a timeout, an invalid reading, any client error: the rules are always there
            logger.warning("LLM understanding failed (%s); using the offline rules", type(exc).__name__)
            return rules
        return reading.model_copy(
            update={
                "emergency": reading.emergency or rules.emergency,
                "out_of_scope": reading.out_of_scope or rules.out_of_scope,
                "intent": Intent.HUMAN if rules.intent is Intent.HUMAN else reading.intent,
                # Consent is never the model's to give: a yes comes from a tap or the rules reading one.
                "yes": rules.yes,
            }
        )

    def _messages(self, words: str, now: datetime, state: ConversationState) -> list[Any]:
        offered = (
            "; ".join(f"{n}. {o.start:%a %Y-%m-%d %H:%M}" for n, o in enumerate(state.offered, 1)) or "none"
        )
        system = SYSTEM.format(
            today=now.date().isoformat(),
            weekday=now.strftime("%A"),
            clock=now.strftime("%H:%M"),
            zone="the practice's",
            kinds=", ".join(self.kinds),
            awaiting=state.awaiting,
            offered=offered,
        )
        return [SystemMessage(content=system), HumanMessage(content=words)]


def chat_model(*, api_key: str, base_url: str | None, model: str, timeout: float) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        api_key=api_key, base_url=base_url, model=model, timeout=timeout, max_retries=0, temperature=0
    )
