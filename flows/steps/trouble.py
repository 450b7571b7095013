"""What a reading or writing step does when Open Dental fails or refuses: a `Command`, never an exception."""

from __future__ import annotations

import logging
from typing import Literal

from langgraph.graph import END
from langgraph.types import Command

from flows.context import TurnState
from flows.replies import text
from od_adapter.booking import NotAllowed, NotYours, OutcomeUnknown
from od_adapter.errors import OpenDentalError

logger = logging.getLogger(__name__)

OpenDentalTrouble = (OpenDentalError, OutcomeUnknown, NotYours, NotAllowed)


def after_trouble(state: TurnState, exc: Exception) -> Command[Literal["od_failed", "__end__"]]:
    """Open Dental down or unsure goes to `od_failed`; a refusal (not the family's visit) ends the request."""
    if isinstance(exc, NotYours | NotAllowed):
        logger.info("refused a request outside the rules: %s", type(exc).__name__)
        return Command(goto=END, update={"conv": state["conv"].finished(), "replies": [text("fallback")]})
    logger.warning("Open Dental failed during a turn: %s", type(exc).__name__)
    return Command(goto="od_failed", update={"outcome_unknown": isinstance(exc, OutcomeUnknown)})
