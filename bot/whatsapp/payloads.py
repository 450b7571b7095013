"""WhatsApp Cloud API webhook payloads as pydantic models, and their reduction to the events we queue.

The models are tolerant readers: every known field is typed, unknown fields are kept, and a message of a type
we have never seen still parses (as its `type` and raw content), so a new Meta message type is never dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorData(Model):
    details: str = ""


class WaError(Model):
    code: int = 0
    title: str = ""
    message: str = ""
    error_data: ErrorData | None = None


class Text(Model):
    body: str = ""


class ButtonReply(Model):
    id: str
    title: str = ""


class ListReply(Model):
    id: str
    title: str = ""
    description: str = ""


class NfmReply(Model):
    name: str = ""
    body: str = ""
    response_json: str = ""


class Interactive(Model):
    type: str
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None
    nfm_reply: NfmReply | None = None


class TemplateButton(Model):
    """A tap on a template's quick-reply button (`type: "button"`)."""

    payload: str = ""
    text: str = ""


class Location(Model):
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""
    url: str = ""


class Media(Model):
    id: str = ""
    mime_type: str = ""
    sha256: str = ""
    caption: str = ""
    filename: str = ""
    url: str = ""
    voice: bool = False
    animated: bool = False


class Reaction(Model):
    message_id: str = ""
    emoji: str = ""


class ContactCard(Model):
    name: dict[str, Any] = Field(default_factory=dict)
    phones: list[dict[str, Any]] = Field(default_factory=list)


class Order(Model):
    catalog_id: str = ""
    text: str = ""
    product_items: list[dict[str, Any]] = Field(default_factory=list)


class System(Model):
    body: str = ""
    type: str = ""
    wa_id: str = ""


class Edit(Model):
    original_message_id: str = ""
    message: dict[str, Any] = Field(default_factory=dict)


class Revoke(Model):
    original_message_id: str = ""


class Context(Model):
    from_: str = Field(default="", alias="from")
    id: str = ""
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: dict[str, Any] | None = None


class Referral(Model):
    source_url: str = ""
    source_id: str = ""
    source_type: str = ""
    headline: str = ""
    body: str = ""
    ctwa_clid: str = ""


class Message(Model):
    """One inbound message; the content sits in the field named after its `type`."""

    id: str
    type: str
    timestamp: str = "0"
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    context: Context | None = None
    referral: Referral | None = None
    errors: list[WaError] = Field(default_factory=list)
    text: Text | None = None
    interactive: Interactive | None = None
    button: TemplateButton | None = None
    location: Location | None = None
    image: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    reaction: Reaction | None = None
    contacts: list[ContactCard] | None = None
    order: Order | None = None
    system: System | None = None
    edit: Edit | None = None
    revoke: Revoke | None = None
    unsupported: dict[str, Any] | None = None


FREE_PRICING_TYPES = ("free_customer_service", "free_entry_point")


class Pricing(Model):
    billable: bool = False
    pricing_model: str = ""
    category: str = ""
    """marketing, utility, authentication, service, referral_conversion..."""
    type: str = ""
    """regular (charged), free_customer_service or free_entry_point; Meta is deprecating `billable` for it."""

    @property
    def charged(self) -> bool:
        """Whether Meta charged the message: its `type` says so where given, else `billable`."""
        if self.type in FREE_PRICING_TYPES:
            return False
        return self.type == "regular" or self.billable


class Status(Model):
    id: str
    status: str
    timestamp: str = "0"
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    biz_opaque_callback_data: str | None = None
    errors: list[WaError] = Field(default_factory=list)
    pricing: Pricing | None = None


class Profile(Model):
    name: str = ""
    username: str = ""


class Contact(Model):
    wa_id: str | None = None
    user_id: str | None = None
    profile: Profile | None = None


class Metadata(Model):
    display_phone_number: str = ""
    phone_number_id: str


class Value(Model):
    messaging_product: str = "whatsapp"
    metadata: Metadata | None = None
    contacts: list[Contact] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)
    errors: list[WaError] = Field(default_factory=list)


class Change(Model):
    field: str
    value: Value


class Entry(Model):
    id: str = ""
    changes: list[Change] = Field(default_factory=list)


class Envelope(Model):
    object: str
    entry: list[Entry] = Field(default_factory=list)
