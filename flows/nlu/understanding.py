"""What the patient wants, as one model: the offline rules and the LLM both fill it.

It only ever describes the patient's words. Concrete times come from `od_adapter` as options with ids; a choice
here is an index or id of an offered option, never a time the conversation could book on its own.
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Intent(StrEnum):
    BOOK = "book"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    CONFIRM = "confirm"
    INFO = "info"
    HUMAN = "human"
    OTHER_TIMES = "other_times"
    NEVER_MIND = "never_mind"
    GREETING = "greeting"
    THANKS = "thanks"


class When(BaseModel):
    """When the patient wants to come: what the date and time rules read, and what the conversation keeps."""

    start: date | None = None
    end: date | None = None
    weekdays: list[int] = Field(default_factory=list)
    part_of_day: str | None = None
    earliest: time | None = None
    latest: time | None = None
    at: time | None = None
    """An exact time the patient named ("3pm", "a las 10")."""
    asap: bool = False
    late: bool = False
    """The day's latest openings: "at the end of the day tomorrow", "last appointment", "lo más tarde posible"."""

    @property
    def has_when(self) -> bool:
        return any(
            (
                self.start,
                self.end,
                self.weekdays,
                self.part_of_day,
                self.earliest,
                self.latest,
                self.at,
                self.asap,
                self.late,
            )
        )


class Understanding(When):
    model_config = ConfigDict(frozen=True)

    intent: Intent | None = None
    yes: bool | None = None
    """An answer to a yes/no question: True, False, or None when the message is neither."""
    kind: str | None = None
    """The appointment type in the practice's words: cleaning, consultation, emergency, new_patient."""
    choice: int | None = None
    """1-based position of an offered option ("the second one", "2")."""
    first_name: str | None = None
    last_name: str | None = None
    birthdate: date | None = None
    info_topic: str | None = None
    info_topics: list[str] = Field(default_factory=list)
    """Every practice topic the message asks about ("address and insurance"); `info_topic` is the first."""
    emergency: bool = False
    out_of_scope: str | None = None
    """A request staff must answer: "billing" (disputes, refunds) or "clinical" (medication, symptoms)."""
    either_day: bool = False
    """The day was read from a word that means tomorrow or yesterday (Hindi "kal"): tomorrow in a request to
    book, confirm or change a visit, no day at all in chit-chat."""
