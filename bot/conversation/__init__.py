"""The bridge from a queued turn to the conversation graph: the turn handler, its Open Dental port over
`od_adapter`, and the rendering of replies into WhatsApp messages."""

from bot.conversation.handler import ConversationHandler, build_conversation_handler
from bot.conversation.office import OdOffice
from bot.conversation.render import render

__all__ = ["ConversationHandler", "OdOffice", "build_conversation_handler", "render"]
