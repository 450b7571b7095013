"""The read receipt and the typing indicator a turn shows while it works, beside the turn, never in its way.

A turn marks the patient's last message read at once (blue ticks), and once it has run for `after` seconds
without replying it shows "typing…" (Meta: the read receipt with `typing_indicator`), again every `every`
seconds, since WhatsApp hides the indicator after 25 s. The indicator stops before the reply is sent, which
also hides it on the phone. None of it is a message: Meta answers `{"success": true}` with no wamid, nothing
goes through the outbox, and a failed or slow indicator is logged and forgotten, so the turn never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.whatsapp import messages
from bot.whatsapp.cloud_api import CloudApiError

logger = logging.getLogger(__name__)

META_TYPING_SECONDS = 25.0
"""How long WhatsApp shows the indicator unless a reply comes first."""
Send = Callable[[str, dict[str, Any]], Awaitable[object]]
"""`CloudApiClient.send`: a phone_number_id and a body."""


@dataclass(frozen=True)
class TypingPolicy:
    after: float = 1.0
    """Seconds a turn runs before it shows "typing…": a reply sooner than that is not worth a flicker and a
    Graph call; every turn that waits on Open Dental (1 request/s) or on a model takes longer."""
    every: float = 20.0
    """Seconds between re-sends on a long turn: under Meta's 25 s, so the indicator never lapses."""
    timeout: float = 5.0
    """Longest wait for one receipt or indicator; past it the send is abandoned."""


@dataclass
class Indicator:
    """One turn's receipt and indicator, running as its own task until `stop`."""

    send: Send
    practice_id: str
    wamid: str
    policy: TypingPolicy
    typing: bool = True
    """False: the read receipt only (staff have the conversation, so no reply of ours may follow)."""
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _receipt_sent: bool = field(default=False, init=False)
    _stopping: bool = field(default=False, init=False)

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run(), name="typing-indicator")
        return self._task

    def stop(self) -> None:
        """Show no more "typing…": the reply goes out next. A read receipt under way still completes."""
        self._stopping = True
        if self._task is not None and self._receipt_sent:
            self._task.cancel()

    async def _run(self) -> None:
        # The plain receipt first, even when typing shows at once: a receipt that lands after the reply is
        # harmless, an indicator that lands after it would show "typing…" for 25 s more.
        started = asyncio.get_running_loop().time()
        await self._send(typing=False)
        self._receipt_sent = True
        if self._stopping or not self.typing:
            return
        await asyncio.sleep(self.policy.after - (asyncio.get_running_loop().time() - started))
        while True:
            await self._send(typing=True)
            await asyncio.sleep(self.policy.every)

    async def _send(self, *, typing: bool) -> None:
        what = "typing indicator" if typing else "read receipt"
        try:
            async with asyncio.timeout(self.policy.timeout):
                await self.send(self.practice_id, messages.mark_read(self.wamid, typing=typing))
        except CloudApiError as exc:
            # Codes and statuses only: Meta's details can quote the message or the number.
            logger.warning("%s refused: WhatsApp error %d (HTTP %d)", what, exc.code, exc.http_status)
        except TimeoutError:
            logger.warning("%s unanswered after %.0f s; given up", what, self.policy.timeout)
        except Exception as exc:  # the indicator must never take the turn down; CancelledError passes
            logger.warning("%s failed (%s)", what, type(exc).__name__)
        else:
            logger.debug("%s sent", what)


class Indicators:
    """The indicators of one worker's running turns: each is its task's owner until the task ends."""

    def __init__(self, send: Send, policy: TypingPolicy) -> None:
        self.send = send
        self.policy = policy
        self._tasks: set[asyncio.Task[None]] = set()

    def show(self, practice_id: str, wamid: str, *, typing: bool = True) -> Indicator:
        indicator = Indicator(self.send, practice_id, wamid, self.policy, typing=typing)
        task = indicator.start()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return indicator

    async def aclose(self) -> None:
        """Cancel what is left (at shutdown) and wait until it has ended."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.policy.timeout)
