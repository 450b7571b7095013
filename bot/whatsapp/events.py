"""The events the webhook queues and the workers consume: one per inbound message and one per status.

An event carries what the conversation needs (who, what was typed or tapped, which of our messages it answers)
and the raw message as Meta sent it. Events are PHI: they are encrypted before they reach Redis.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bot.whatsapp.payloads import Envelope, Message, Status, Value
from flows.context import Cue

logger = logging.getLogger(__name__)

TEXT_TYPES = ("text", "image", "video", "document")
"""Messages whose words we read: a text, or the caption of a photo, video or document."""
SILENT_TYPES = ("reaction", "system", "edit", "revoke")
"""Events that ask for no answer: a reaction, a system notice (a number change), an edit, a deleted message."""
CHOICE_TYPES = ("interactive", "button")


class InboundMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["message"] = "message"
    practice_id: str
    """The WhatsApp phone_number_id the patient wrote to: it selects the practice."""
    wamid: str
    user_key: str
    """Who wrote: the phone number (wa_id), or the business-scoped user id when Meta gives no number."""
    wa_id: str | None = None
    name: str = ""
    timestamp: int = 0
    type: str
    text: str = ""
    choice_id: str | None = None
    """The id of the reply button, list row or template button the patient tapped."""
    context_id: str | None = None
    """The wamid of our message this one answers, when the patient replied to or tapped one."""
    raw: dict[str, Any] = Field(default_factory=dict)
    cue: Cue | None = None
    """A reminder the scheduler queued for this phone (`type` "reminder"): the practice writes, not the patient."""

    @property
    def understood(self) -> bool:
        """Text we can read or a tap we can route; everything else gets a polite "text me instead"."""
        return (
            (self.type in TEXT_TYPES and bool(self.text.strip()))
            or self.choice_id is not None
            or self.cue is not None
        )

    @property
    def from_patient(self) -> bool:
        """Written by the patient (it opens the 24-hour window and is marked read), not queued by us."""
        return self.cue is None

    @property
    def silent(self) -> bool:
        """Nothing to answer: a 👍 to "Shall I book it?" books nothing and gets no "please type" either."""
        return self.type in SILENT_TYPES


class StatusEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["status"] = "status"
    practice_id: str
    wamid: str
    status: str
    user_key: str = ""
    timestamp: int = 0
    error_codes: list[int] = Field(default_factory=list)
    callback: str = ""
    """What we put in `biz_opaque_callback_data` when sending: the outbox record the status is about."""
    billable: bool = False
    """Whether Meta charged the message (its pricing `type`, or `billable` where no type is given)."""
    category: str = ""
    """Meta's pricing category for a billable message (the dashboard's WhatsApp cost)."""


Event = Annotated[InboundMessage | StatusEvent, Field(discriminator="kind")]
EVENT = TypeAdapter(Event)


def _user_key(message: Message, value: Value) -> tuple[str, str | None, str]:
    """The sender's key, phone number and profile name; users without `from` are keyed by their user_id."""
    contact = next(
        (c for c in value.contacts if c.wa_id and c.wa_id == message.from_),
        next((c for c in value.contacts if c.user_id and c.user_id == message.from_user_id), None),
    )
    if contact is None and len(value.contacts) == 1:
        contact = value.contacts[0]
    wa_id = message.from_ or (contact.wa_id if contact else None)
    key = wa_id or message.from_user_id or (contact.user_id if contact else None) or ""
    name = contact.profile.name if contact and contact.profile else ""
    return key, wa_id, name


def _content(message: Message) -> tuple[str, str | None]:
    """What the patient said or tapped, as text and a choice id."""
    if message.text is not None:
        return message.text.body, None
    if message.interactive is not None:
        reply = message.interactive.button_reply or message.interactive.list_reply
        if reply is not None:
            return reply.title, reply.id
        if message.interactive.nfm_reply is not None:
            return message.interactive.nfm_reply.body, None
    if message.button is not None:
        return message.button.text, message.button.payload or None
    media = message.image or message.video or message.document
    return (media.caption if media else ""), None


def events_from(envelope: Envelope) -> list[InboundMessage | StatusEvent]:
    """Every message and status in a delivery, across all entries and changes."""
    events: list[InboundMessage | StatusEvent] = []
    for entry in envelope.entry:
        for change in entry.changes:
            value = change.value
            if change.field != "messages" or value.metadata is None:
                continue
            practice_id = value.metadata.phone_number_id
            for message in value.messages:
                key, wa_id, name = _user_key(message, value)
                text, choice = _content(message)
                events.append(
                    InboundMessage(
                        practice_id=practice_id,
                        wamid=message.id,
                        user_key=key,
                        wa_id=wa_id,
                        name=name,
                        timestamp=_seconds(message.timestamp),
                        type=message.type,
                        text=text,
                        choice_id=choice,
                        context_id=message.context.id if message.context and message.context.id else None,
                        raw=message.model_dump(mode="json", by_alias=True, exclude_none=True),
                    )
                )
            for status in value.statuses:
                events.append(_status_event(practice_id, status))
    return events


def _seconds(raw: str | None) -> int:
    """Meta's Unix time as a number; a value that is not one is read as now, so the delivery is still queued."""
    if raw and raw.strip().isdecimal():
        return int(raw)
    logger.warning("a webhook event's timestamp is not a number; using the time it arrived")
    return int(time.time())


def _status_event(practice_id: str, status: Status) -> StatusEvent:
    return StatusEvent(
        practice_id=practice_id,
        wamid=status.id,
        status=status.status,
        user_key=status.recipient_id or status.recipient_user_id or "",
        timestamp=_seconds(status.timestamp),
        error_codes=[e.code for e in status.errors],
        callback=status.biz_opaque_callback_data or "",
        billable=status.pricing is not None and status.pricing.charged,
        category=status.pricing.category if status.pricing else "",
    )
