"""A goal-driven simulated patient: it answers whatever the assistant asks from its goal, like a person.

The patient has a goal (book, book for a family member, book as a new patient, reschedule, cancel, confirm,
two info questions, reach a person, emergency), a persona (how it writes: typos, no punctuation, chatty,
corrects itself, one detail at a time, types instead of tapping, taps stale buttons, reacts with 👍, writes
Hindi in Latin letters), a language and a phone. It posts each message as Meta does (signed, through the real
webhook) and records every message and reply with its time, so the invariants can be checked afterwards
against what Open Dental holds (`tests/patients/invariants.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import httpx

from bot.sandbox.whatsapp import SentMessage
from bot.whatsapp.webhook import SIGNATURE_HEADER, sign
from tests.deliveries import choice_delivery, text_delivery
from tests.patients import banks
from tests.patients.replies import Reply, read_reply
from tests.simulator import SECRET, Stack

Goal = Literal["book", "family", "new", "reschedule", "cancel", "confirm", "info", "staff", "emergency"]
GOALS: tuple[Goal, ...] = ("book", "family", "new", "reschedule", "cancel", "confirm", "info", "staff", "emergency")  # fmt: skip
PERSONAS = ("plain", "terse", "chatty", "typos", "nopunct", "corrects", "one_at_a_time", "types", "stale", "reacts", "script")  # fmt: skip
DONE_KEYS: dict[str, tuple[str, ...]] = {
    "book": ("booked", "booked_for"), "family": ("booked", "booked_for"), "new": ("booked", "booked_for"), "reschedule": ("rescheduled",),
    "cancel": ("cancelled",), "confirm": ("confirmed",), "staff": ("handoff", "handoff.closed"),
    "emergency": ("emergency",),
}  # fmt: skip
STOP_KEYS = (
    "od_unavailable",
    "od_unavailable.staff",
    "none_upcoming",
    "turn.sorry_staff",
    "fallback.giving_up",
)
HANDOFF_KEYS = ("handoff", "handoff.closed", "od_unavailable.staff", "turn.sorry_staff", "emergency")
QUIET = 0.3
"""Seconds of silence after a text reply before the patient takes the turn's replies as complete (a list or
buttons end a turn: the outbox sends them last)."""
CORRECTIONS = {"en": "actually the afternoon would be better", "es": "mejor por la tarde",
               "pt": "na verdade, prefiro à tarde", "fr": "en fait plutôt l'après-midi",
               "de": "lieber doch nachmittags", "ar": "في الحقيقة بعد الظهر أفضل", "hi": "dopahar mein behtar hoga"}  # fmt: skip
KIND_WORDS = {"en": "cleaning", "es": "limpieza", "pt": "limpeza", "fr": "détartrage", "de": "Zahnreinigung",
              "ar": "تنظيف", "hi": "safai"}  # fmt: skip


@dataclass
class Sent:
    """One patient message: when it went, what it was, and whether it is an explicit yes."""

    at: float
    what: str
    explicit_yes: bool
    silent: bool = False
    """A reaction: it asks for no answer."""
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Person:
    """Who writes, as Open Dental knows them (or will: a new patient's details)."""

    wa_id: str
    family: list[dict[str, Any]]
    """The charts on this phone (empty for a new patient)."""
    intended: dict[str, Any] | None = None
    """The chart the goal is for (a family member, the patient themself); None for a new patient."""
    new: dict[str, str] | None = None
    """A new patient's first and last name and birthdate (ISO)."""
    target: int | None = None
    """The appointment a reschedule, cancel or confirm is about."""
    visit_day: date | None = None
    """Its day."""


@dataclass
class Conversation:
    """A patient's whole conversation as recorded, for the figures and the invariants."""

    index: int
    office: int
    practice: str
    goal: Goal
    persona: str
    language: str
    half: banks.Half
    person: Person
    sent: list[Sent] = field(default_factory=list)
    success_at: int | None = None
    """The number of patient messages when the goal's reply came (None: never)."""
    stop: str = ""
    info_topics: tuple[str, ...] = ()
    answered: set[str] = field(default_factory=set)
    chitchat_booked: bool = False
    achieved: bool = False
    """Open Dental shows the goal done (set by the run, from `invariants.achieved`)."""
    started: float = 0.0
    ended: float = 0.0

    @property
    def replies(self) -> list[Reply]:
        return [r for s in self.sent for r in s.replies]

    @property
    def handed_off(self) -> bool:
        return any(r.key in HANDOFF_KEYS for r in self.replies)


def plain(text: str) -> str:
    """Accents off, as a patient typing fast on a phone leaves them."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def typo(text: str, rng: random.Random) -> str:
    """One slip in one longer word: a letter doubled, dropped or swapped with its neighbour."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w, k = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:k] + w[k + 1] + w[k] + w[k + 2 :], w[:k] + w[k + 1 :], w[:k] + w[k] + w[k:]])
    return " ".join(words)


@dataclass
class Patient:
    stack: Stack
    convo: Conversation
    rng: random.Random
    reply_timeout: float = 10.0
    max_messages: int = 10
    ask: banks.Ask | None = None
    _last_buttons: Reply | None = None
    _corrected: bool = False
    _reacted: bool = False
    _asap: int = 0
    _detail_step: int = 0

    # -- what the patient writes ---------------------------------------------------------------------------

    def _bank(self, bank: dict[str, list[Any]]) -> list[Any]:
        items = banks.half(bank[self.convo.language], self.convo.half)
        if self.convo.language == "hi" and self.convo.persona == "script":
            latin = [i for i in items if words_of(i).isascii()]
            items = latin or items
        return items or bank[self.convo.language]

    def _style(self, text: str) -> str:
        persona = self.convo.persona
        if persona == "typos":
            return typo(text, self.rng)
        if persona == "nopunct":
            return re.sub(r"[^\w\s:/]", "", plain(text).lower()).strip()
        return text

    def opening(self) -> str:
        goal, bank_by_goal = self.convo.goal, {
            "family": banks.FAMILY_BOOK, "new": banks.NEW_BOOK, "reschedule": banks.RESCHEDULE,
            "cancel": banks.CANCEL, "confirm": banks.CONFIRM, "staff": banks.STAFF, "emergency": banks.EMERGENCY,
        }  # fmt: skip
        if goal == "book":
            self.ask = self.rng.choice(self._bank(banks.BOOK))
            return self._style(self.ask.text)
        if goal == "info":
            text, topics = self.rng.choice(self._bank(banks.INFO))
            self.convo.info_topics = topics
            return str(text)
        return self._style(str(self.rng.choice(self._bank(bank_by_goal[goal]))))

    # -- the conversation ----------------------------------------------------------------------------------

    async def run(self, client: httpx.AsyncClient) -> Conversation:
        convo = self.convo
        convo.started = time.time()
        if convo.persona == "chatty":
            aside = self.rng.choice(banks.CHITCHAT[convo.language])
            replies = await self._say(client, {"text": aside}, explicit_yes=False)
            convo.chitchat_booked = any(
                r.key in ("offer.list", "offer.none", "confirm.book") for r in replies
            )
        opening = self.opening()
        action: dict[str, Any] | None = {"text": opening}
        yes_opening = convo.goal == "confirm"
        while action is not None and len(convo.sent) < self.max_messages:
            replies = await self._say(client, action, explicit_yes=yes_opening or action.pop("yes", False))
            yes_opening = False
            if "reaction" in action and self._last_buttons is not None:
                # 👍 is not a yes: whatever the assistant made of it, the patient then taps Yes.
                action = {**self._tap(self._yes(self._last_buttons), self._last_buttons), "yes": True}
                continue
            if self._reached(replies):
                convo.success_at = len(convo.sent)
                await self._after_success(client)
                break
            action = self._next(replies)
        if convo.success_at is None and not convo.stop:
            convo.stop = f"gave up at {self._last_key()}"
        convo.ended = time.time()
        return convo

    def _last_key(self) -> str:
        keys = [r.key for r in self.convo.replies]
        return keys[-1] if keys else "no reply"

    def _reached(self, replies: list[Reply]) -> bool:
        convo = self.convo
        if convo.goal == "info":
            text = "\n".join(r.text for r in replies)
            convo.answered |= {t for t in convo.info_topics if INFO_ANSWERS[t] in text}
            return set(convo.info_topics) <= convo.answered
        return any(r.key in DONE_KEYS[convo.goal] for r in replies)

    async def _after_success(self, client: httpx.AsyncClient) -> None:
        """A stale-tapping patient taps the yes of the question already answered: nothing may happen twice."""
        if self.convo.persona == "stale" and self._last_buttons is not None:
            yes = next((b for b in self._buttons(self._last_buttons.body) if b[0].startswith("yes")), None)
            if yes is not None:
                await self._say(client, self._tap(yes, self._last_buttons), explicit_yes=True)

    def _next(self, replies: list[Reply]) -> dict[str, Any] | None:
        convo, keys = self.convo, [r.key for r in replies]
        if not replies:
            convo.stop = "no reply"
            return None
        if any(k in STOP_KEYS or k in HANDOFF_KEYS for k in keys):
            convo.stop = next(k for k in keys if k in STOP_KEYS or k in HANDOFF_KEYS)
            return None
        interactive = next((r for r in reversed(replies) if r.body.get("type") == "interactive"), None)
        if interactive is not None:
            action = self._answer_interactive(interactive)
            if action is not None:
                return action
        return self._answer_text(keys)

    def _answer_text(self, keys: list[str]) -> dict[str, Any] | None:
        convo = self.convo
        if any(k.startswith("ask.details") or k == "details.again" for k in keys):
            if convo.person.new is None:
                convo.stop = "a known patient asked for new-patient details"
                return None
            return {"text": self._details()}
        if any(k in ("ask.who", "ask.who_again") for k in keys):
            return {"text": self._who(again="ask.who_again" in keys)}
        if "offer.none" in keys and self._asap < 2:
            self._asap += 1
            return {"text": self.rng.choice(banks.ASAP[convo.language])}
        if convo.goal == "info" and convo.info_topics:
            missing = [t for t in convo.info_topics if t not in convo.answered]
            if missing and len(convo.sent) < 4:
                return {"text": INFO_FOLLOW_UP[convo.language][missing[0]]}
        rephrase = ("fallback", "greeting", "reset", "info.topics", "language.switched", "?")
        if any(k in rephrase for k in keys) and len(convo.sent) < 5:
            return {"text": self.opening()}
        convo.stop = f"stuck at {keys[-1]}"
        return None

    def _answer_interactive(self, reply: Reply) -> dict[str, Any] | None:
        interactive = reply.body["interactive"]
        if interactive["type"] == "button":
            return self._answer_buttons(reply)
        rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
        options = [r for r in rows if r["id"].startswith("opt:")]
        if options:
            return self._choose(reply, options)
        visits = [r for r in rows if r["id"].startswith("apt:")]
        if visits:
            target = f"apt:{self.convo.person.target}"
            row = next((r for r in visits if r["id"] == target), visits[0])
            if self.convo.persona == "types" and self.convo.person.visit_day is not None:
                return {"text": visit_by_day(self.convo.language, self.convo.person.visit_day)}
            return self._tap((row["id"], row["title"]), reply, list_reply=True)
        menu = [r for r in rows if r["id"].startswith("menu:")]
        if menu:  # the menu as a list: it offers to confirm a visit ahead
            goal = {"family": "book", "new": "book"}.get(self.convo.goal, self.convo.goal)
            item = next((r for r in menu if r["id"] == f"menu:{goal}"), None)
            if item is None:
                return None
            tap = self._tap((item["id"], item["title"]), reply, list_reply=True)
            # Tapping "Confirm my visit" is the patient's own request to confirm, as explicit as typing it.
            return {**tap, "yes": True} if goal == "confirm" else tap
        kinds = [r for r in rows if r["id"].startswith("kind:")]
        if kinds and self.convo.goal in ("reschedule", "cancel", "confirm"):
            return None  # asked to book a new visit, a patient who wants to change theirs says so again
        if kinds:
            if self.convo.persona == "types":
                return {"text": KIND_WORDS[self.convo.language]}
            row = next((r for r in kinds if r["id"] == "kind:cleaning"), kinds[0])
            return self._tap((row["id"], row["title"]), reply, list_reply=True)
        return None

    def _answer_buttons(self, reply: Reply) -> dict[str, Any] | None:
        buttons = self._buttons(reply.body)
        ids = [b[0] for b in buttons]
        yes = next((b for b in buttons if b[0].split(":")[0] == "yes"), None)
        if yes is not None and reply.key in (
            "confirm.book",
            "confirm.book_for",
            "confirm.reschedule",
            "cancel.ask",
            "details.read_back",
        ):
            self._last_buttons = reply
            if (
                self.convo.persona == "reacts"
                and not self._reacted
                and reply.key in ("confirm.book", "confirm.book_for")
            ):
                self._reacted = True
                return {"reaction": "👍", "context": reply.wamid}
            if self.convo.persona == "types":
                return {"text": self.rng.choice(banks.YES[self.convo.language]), "yes": True}
            return {**self._tap(yes, reply), "yes": True}
        goal = {"family": "book", "new": "book"}.get(self.convo.goal, self.convo.goal)
        wanted = next((b for b in buttons if b[0] == f"menu:{goal}"), None)
        if wanted is not None:
            return self._tap(wanted, reply)
        if "menu:book" in ids or reply.key in ("greeting", "fallback"):
            return None  # answered from the text keys: the patient says it again in words
        return None

    def _yes(self, reply: Reply) -> tuple[str, str]:
        return next(b for b in self._buttons(reply.body) if b[0].split(":")[0] == "yes")

    @staticmethod
    def _buttons(body: dict[str, Any]) -> list[tuple[str, str]]:
        return [(b["reply"]["id"], b["reply"]["title"]) for b in body["interactive"]["action"]["buttons"]]

    def _choose(self, reply: Reply, options: list[dict[str, Any]]) -> dict[str, Any]:
        convo = self.convo
        if convo.persona == "corrects" and not self._corrected and convo.goal in ("book", "family"):
            self._corrected = True
            self.ask = banks.Ask("", self.ask.weekday if self.ask else None, "afternoon")
            return {"text": CORRECTIONS[convo.language]}
        starts = [option_start(r["id"]) for r in options]
        fits = [i for i, s in enumerate(starts) if self._fits(s)]
        index = fits[0] if fits else 0
        if convo.persona in ("types", "terse") or (convo.persona == "plain" and self.rng.random() < 0.3):
            return {"text": typed_choice(convo.language, index, starts, self.rng)}
        row = options[index]
        return self._tap((row["id"], row["title"]), reply, list_reply=True)

    def _fits(self, start: datetime) -> bool:
        ask = self.ask
        if ask is None:
            return True
        if ask.weekday is not None and start.weekday() != ask.weekday:
            return False
        return not (
            (ask.part == "morning" and start.hour >= 12) or (ask.part == "afternoon" and start.hour < 12)
        )

    def _details(self) -> str:
        new = self.convo.person.new
        assert new is not None, "only a new patient is asked for details"
        born = date.fromisoformat(new["birthdate"])
        fill = formats(born) | {"first": new["first"], "last": new["last"]}
        if self.convo.persona == "one_at_a_time" and self._detail_step < 2:
            self._detail_step += 1
            return f"{new['first']} {new['last']}" if self._detail_step == 1 else fill["mdy" if self.convo.language == "en" else "dmy"]  # fmt: skip
        return self.rng.choice(banks.DETAILS[self.convo.language]).format(**fill)

    def _who(self, *, again: bool) -> str:
        member = self.convo.person.intended
        assert member is not None
        first, last = member["FName"], member["LName"]
        literal = {("Sofía", "García"): ("Sofía 02/07/2014", "sofia garcia, 2 de julio 2014"),
                   ("Emma", "Johnson"): ("Emma 04/18/2012",)}.get((first, last), ())  # fmt: skip
        choices = [t for t in banks.WHO[self.convo.language] if "{" in t]
        if literal and not again:
            return self.rng.choice(literal)
        fill = formats(date.fromisoformat(member["Birthdate"])) | {
            "first": first, "last": last, "first_plain": plain(first), "first_lower": plain(first).lower(),
            "last_lower": plain(last).lower(),
        }  # fmt: skip
        return self.rng.choice(choices).format(**fill)

    @staticmethod
    def _tap(button: tuple[str, str], reply: Reply, *, list_reply: bool = False) -> dict[str, Any]:
        return {"choice": button[0], "title": button[1], "list": list_reply, "context": reply.wamid}

    # -- the wire ------------------------------------------------------------------------------------------

    async def _say(
        self, client: httpx.AsyncClient, action: dict[str, Any], *, explicit_yes: bool
    ) -> list[Reply]:
        convo = self.convo
        inbox = self.stack.sink.inboxes[(convo.practice, convo.person.wa_id)]
        while not inbox.empty():  # a late reply to the last turn belongs to it, not to this one
            late = inbox.get_nowait()
            if convo.sent:
                convo.sent[-1].replies.append(read_reply(late, convo.language))
        silent = "reaction" in action
        sent = Sent(time.time(), describe(action), explicit_yes, silent=silent)
        convo.sent.append(sent)
        await self._post(client, action)
        sent.replies = await self._collect(inbox, wait=1.0 if silent else self.reply_timeout)
        return sent.replies

    async def _collect(self, inbox: asyncio.Queue[SentMessage], wait: float) -> list[Reply]:
        replies: list[Reply] = []
        timeout = wait
        while True:
            try:
                message = await asyncio.wait_for(inbox.get(), timeout)
            except TimeoutError:
                return replies
            replies.append(read_reply(message, self.convo.language))
            timeout = 0.05 if message.body.get("type") == "interactive" else QUIET

    async def _post(self, client: httpx.AsyncClient, action: dict[str, Any]) -> None:
        convo = self.convo
        wamid = f"wamid.PAT{uuid.uuid4().hex[:24]}"
        who = {"practice_id": convo.practice, "sender": convo.person.wa_id, "name": "Patient"}
        if "text" in action:
            payload = text_delivery(wamid, action["text"], **who)
        elif "reaction" in action:
            payload = reaction_delivery(wamid, action["reaction"], action["context"], **who)
        else:
            kind = "list_reply" if action["list"] else "button_reply"
            payload = choice_delivery(wamid, action["choice"], action["title"], kind=kind, context_id=action["context"], **who)  # fmt: skip
        raw = json.dumps(payload).encode()
        headers = {SIGNATURE_HEADER: sign(SECRET, raw), "Content-Type": "application/json"}
        for _ in range(20):
            with contextlib.suppress(httpx.HTTPError):
                if (
                    await client.post(self.stack.webhook_url, content=raw, headers=headers)
                ).status_code == 200:
                    return
            await asyncio.sleep(0.25)
        raise RuntimeError("the webhook never acknowledged a delivery")


INFO_ANSWERS = {
    "hours": "Monday to Friday, 8:00 to 18:00", "address": "1200 NW Everett St", "parking": "Free parking",
    "insurance": "Delta Dental", "bring": "Your photo ID",
}  # fmt: skip
"""A piece of each answer in the demo practice file: a reply holding it answered that topic."""
# fmt: off
INFO_FOLLOW_UP = {
    "en": {"hours": "what are your hours?", "address": "what's the address?", "parking": "is there parking?", "insurance": "do you take insurance?", "bring": "what should I bring?"},
    "es": {"hours": "¿cuál es el horario?", "address": "¿cuál es la dirección?", "parking": "¿hay aparcamiento?", "insurance": "¿aceptan seguro?", "bring": "¿qué tengo que llevar?"},
    "pt": {"hours": "qual é o horário?", "address": "qual é o endereço?", "parking": "tem estacionamento?", "insurance": "aceitam seguro?", "bring": "o que devo levar?"},
    "fr": {"hours": "quels sont vos horaires ?", "address": "quelle est l'adresse ?", "parking": "il y a un parking ?", "insurance": "vous acceptez quelle assurance ?", "bring": "que dois-je apporter ?"},
    "de": {"hours": "wie sind die Öffnungszeiten?", "address": "wie ist die Adresse?", "parking": "gibt es Parkplätze?", "insurance": "welche Versicherung nehmen Sie?", "bring": "was soll ich mitbringen?"},
    "ar": {"hours": "ما هي ساعات العمل؟", "address": "ما هو العنوان؟", "parking": "هل يوجد موقف سيارات؟", "insurance": "هل تقبلون التأمين؟", "bring": "ماذا أحضر معي؟"},
    "hi": {"hours": "क्लिनिक का समय क्या है?", "address": "पता क्या है?", "parking": "parking kahan hai?", "insurance": "क्या आप बीमा लेते हैं?", "bring": "मुझे क्या लाना चाहिए?"},
}
# fmt: on


def words_of(item: Any) -> str:
    """The text of a bank entry: an ask, an info question with its topics, or plain words."""
    if isinstance(item, banks.Ask):
        return item.text
    return str(item[0] if isinstance(item, tuple) else item)


def option_start(option_row_id: str) -> datetime:
    """The start an option row's id carries ("opt:o1.202612081030...")."""
    return datetime.strptime(option_row_id.split(".")[1][:12], "%Y%m%d%H%M")


def formats(born: date) -> dict[str, str]:
    return {"mdy": f"{born:%m/%d/%Y}", "dmy": f"{born:%d/%m/%Y}", "dmy_dots": f"{born:%d.%m.%Y}"}


def _h12(start: datetime) -> str:
    hour = start.hour % 12 or 12
    suffix = "am" if start.hour < 12 else "pm"
    return f"{hour}{suffix}" if start.minute == 0 else f"{hour}:{start.minute:02d}{suffix}"


def typed_choice(language: str, index: int, starts: list[datetime], rng: random.Random) -> str:
    """What a patient types to choose the row `index`: a template of the language that names it unambiguously."""
    start = starts[index]
    same_hour = sum(1 for s in starts if s.hour == start.hour) == 1 and start.minute == 0
    same_time = sum(1 for s in starts if s.time() == start.time()) == 1
    same_day = sum(1 for s in starts if s.date() == start.date()) == 1
    hour = start.hour % 12 or 12 if language == "en" else start.hour
    nth = f"{start.day}{'th' if 10 <= start.day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(start.day % 10, 'th')}"  # fmt: skip
    fill = {
        "n": str(index + 1), "ordinal": banks.ORDINALS[language][index] if index < 5 else str(index + 1),
        "hour": str(hour), "h12": _h12(start), "time": _h12(start) if language == "en" else f"{start:%H:%M}",
        "weekday": banks.WEEKDAYS[language][start.weekday()], "wd": f"{start:%a}".lower(), "nth": nth,
    }  # fmt: skip
    usable = []
    for template in banks.CHOICES[language]:
        if ("{hour}" in template and not same_hour) or ("{h12}" in template and not same_time):
            continue
        if "{time}" in template and "{weekday}" not in template and not same_time:
            continue
        if ("{nth}" in template and not same_day) or ("{ordinal}" in template and index >= 5):
            continue
        if template == "the second one" and index != 1:
            continue
        usable.append(template)
    return rng.choice(usable).format(**fill)


def visit_by_day(language: str, day: date) -> str:
    nth = f"{day.day}{'th' if 10 <= day.day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day.day % 10, 'th')}"
    weekday = banks.WEEKDAYS[language][day.weekday()]
    return banks.VISIT_BY_DAY[language].format(weekday=weekday, nth=nth, day=day.day)


def describe(action: dict[str, Any]) -> str:
    if "text" in action:
        return str(action["text"])
    if "reaction" in action:
        return f"[reaction {action['reaction']}]"
    return f"[tap {action['choice']}]"


def reaction_delivery(
    wamid: str, emoji: str, message_id: str, *, practice_id: str, sender: str, name: str
) -> dict[str, Any]:
    """A reaction to one of our messages, as Meta delivers it."""
    payload = text_delivery(wamid, "", practice_id=practice_id, sender=sender, name=name)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message |= {"type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}}
    return payload
