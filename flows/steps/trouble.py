"""What a reading or writing step does when Open Dental fails or refuses: a `Command`'s arguments, never an
exception."""

from __future__ import annotations

import logging
from typing import Literal, TypedDict

from flows.context import TurnState
from flows.replies import text
from flows.steps import END
from od_adapter import NotAllowed, NotYours, OpenDentalError, OutcomeUnknown

logger = logging.getLogger(__name__)

OpenDentalTrouble = (OpenDentalError, OutcomeUnknown, NotYours, NotAllowed)
Trouble = Literal["od_failed", "__end__"]


class Detour(TypedDict):
    """A `Command`'s arguments: `Command(**after_trouble(...))` types it as the calling step's own `Command`
    (it is invariant in its destinations, so a `Command[Trouble]` would not be one)."""

    goto: Trouble
    update: TurnState


def after_trouble(state: TurnState, exc: Exception) -> Detour:
    """Open Dental down or unsure goes to `od_failed`; a refusal (not the family's visit) ends the request."""
    if isinstance(exc, NotYours | NotAllowed):
        logger.info("refused a request outside the rules: %s", type(exc).__name__)
        return {"goto": END, "update": {"conv": state["conv"].finished(), "replies": [text("fallback")]}}
    logger.warning("Open Dental failed during a turn: %s", type(exc).__name__)
    return {"goto": "od_failed", "update": {"outcome_unknown": isinstance(exc, OutcomeUnknown)}}
