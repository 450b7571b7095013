"""`python -m bot chat --phone +15035551234`: be a patient in the terminal, against the embedded demo.

Every line goes through the same path as a real message: the WhatsApp sandbox signs a Cloud API webhook and
posts it to `/webhook/whatsapp`. Lists and buttons (a template's quick replies too) are shown numbered; `#2`
taps the second one. A message WhatsApp reported failed (131047, the 24-hour window closed) is shown as such.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx

PROMPT = "you> "


def show(item: dict[str, Any]) -> list[tuple[str, str]]:
    """Print one message of the outbox feed; return its taps, in the order shown, as (inbound field, id)."""
    body = item["body"]
    if item.get("error_code"):
        print(f"bot> (not delivered: WhatsApp error {item['error_code']})")
        return []
    if body["type"] == "text":
        print(f"bot> {body['text']['body']}")
        return []
    if body["type"] == "template":
        return _show_template(body["template"], item.get("template"))
    interactive = body["interactive"]
    print(f"bot> {interactive['body']['text']}")
    if interactive["type"] == "button":
        field = "button_id"
        choices = [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    else:
        field = "list_id"
        rows = [r for section in interactive["action"]["sections"] for r in section["rows"]]
        choices = [(r["id"], f"{r['title']}  {r.get('description', '')}".rstrip()) for r in rows]
    for n, (_, title) in enumerate(choices, 1):
        print(f"     #{n} {title}")
    return [(field, choice_id) for choice_id, _ in choices]


def _show_template(content: dict[str, Any], view: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A template as the Graph API fake fills it (else its name and parameters), its quick replies numbered."""
    if view is None:
        parts = content.get("components") or []
        body: dict[str, Any] = next((c for c in parts if c.get("type") == "body"), {"parameters": []})
        print(f"bot> [{content['name']}] " + " · ".join(p.get("text", "") for p in body["parameters"]))
        return []
    print(f"bot> {view['text']}")
    for n, button in enumerate(view["buttons"], 1):
        print(f"     #{n} {button['title']}")
    return [("button_payload", b["payload"]) for b in view["buttons"]]


async def converse(base: str, phone: str, phone_number_id: str, *, reply_within: float = 60.0) -> None:
    """Read lines until end of input; send each; print every reply."""
    sender = phone.lstrip("+")
    choices: list[tuple[str, str]] = []
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if line is None:
                return
            if not line.strip():
                continue
            message: dict[str, str] = {"text": line}
            if line.startswith("#") and line[1:].isdecimal() and 0 < int(line[1:]) <= len(choices):
                field, picked = choices[int(line[1:]) - 1]
                message = {field: picked}
            sent = len((await client.get("/sandbox/whatsapp/outbox", params={"to": sender})).json())
            await client.post(
                "/sandbox/whatsapp/inbound",
                json={"from": sender, "phone_number_id": phone_number_id, **message},
            )
            replies = await _wait_for_replies(client, sender, sent, reply_within)
            for item in replies:
                choices = show(item) or choices


async def _wait_for_replies(
    client: httpx.AsyncClient, sender: str, seen: int, within: float
) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        sent = (await client.get("/sandbox/whatsapp/outbox", params={"to": sender})).json()
        if len(sent) > seen:
            await asyncio.sleep(0.3)  # a turn can send more than one message
            return list((await client.get("/sandbox/whatsapp/outbox", params={"to": sender})).json()[seen:])
        await asyncio.sleep(0.1)
    print("bot> (no reply)")
    return []


def _read_line() -> str | None:
    try:
        if sys.stdin.isatty():
            return input(PROMPT)
        line = sys.stdin.readline()
        return line.rstrip("\n") if line else None
    except EOFError:
        return None
