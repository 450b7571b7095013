"""The bridge from a queued turn to the conversation graph: the turn handler, its Open Dental port over
`od_adapter`, and the rendering of replies into WhatsApp messages."""

from bot.conversation.confirmations import Statuses, office_statuses
from bot.conversation.handler import ConversationHandler, build_conversation_handler
from bot.conversation.office import OdOffice, Outreach, provider_name
from bot.conversation.reminder_messages import reminder_body, template_language
from bot.conversation.render import render

__all__ = [
    "ConversationHandler",
    "OdOffice",
    "Outreach",
    "Statuses",
    "build_conversation_handler",
    "office_statuses",
    "provider_name",
    "reminder_body",
    "render",
    "template_language",
]
