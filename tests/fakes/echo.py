"""A turn handler that repeats what it read: proves the pipeline (queue, worker, outbox) without the graph."""

from __future__ import annotations

from bot.queue.turns import Turn, TurnResult
from bot.whatsapp import messages

UNSUPPORTED_REPLY = (
    "Sorry, I can only read text messages and taps on buttons for now. Could you type what you need?"
)


class EchoHandler:
    """Repeats what it understood in one reply; answers anything else with a polite request for text."""

    def __init__(self) -> None:
        self.turns = 0

    async def __call__(self, turn: Turn) -> TurnResult:
        to = messages.recipient(turn.user_key)
        understood = [m for m in turn.messages if m.understood]
        self.turns += 1
        if not understood:
            if not any(m.type not in ("reaction", "system", "revoke") for m in turn.messages):
                return TurnResult(session=turn.session, replies=[])
            return TurnResult(session=turn.session, replies=[messages.text(to, UNSUPPORTED_REPLY)])
        said = " / ".join(m.text or m.choice_id or "" for m in understood)
        reply = messages.buttons(
            to, f"You said: {said}", [("echo:again", "Say more"), ("echo:done", "That's all")]
        )
        return TurnResult(session=turn.session, replies=[reply])
