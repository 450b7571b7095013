"""An OpenAI-compatible chat completions server for tests: it answers with scripted outputs, in order."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FAKE_OPENAI_KEY = web.AppKey("fake_openai", "FakeOpenAI")


@dataclass
class Scripted:
    content: str
    delay: float = 0.0


@dataclass
class FakeOpenAI:
    script: list[Scripted] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, content: dict[str, Any] | str, *, delay: float = 0.0) -> None:
        self.script.append(Scripted(content if isinstance(content, str) else json.dumps(content), delay))


async def completions(request: web.Request) -> web.Response:
    fake = request.app[FAKE_OPENAI_KEY]
    body = await request.json()
    fake.requests.append(body)
    scripted = fake.script.pop(0) if fake.script else Scripted("{}")
    if scripted.delay:
        await asyncio.sleep(scripted.delay)
    message = {"role": "assistant", "content": scripted.content, "refusal": None}
    return web.json_response(
        {
            "id": f"chatcmpl-{len(fake.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
    )


def create_fake_openai() -> web.Application:
    app = web.Application()
    app[FAKE_OPENAI_KEY] = FakeOpenAI()
    app.router.add_post("/v1/chat/completions", completions)
    return app
