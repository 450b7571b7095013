"""A deployment in processes and the patients who write to it: for the load benchmark and the fault tests.

`Stack` starts what production runs, each in its own process: a private redis-server (append-only file on
request), the Open Dental sandbox with one office per practice at its real throttle unless told otherwise,
`python -m bot serve --no-worker`, and N `python -m bot worker`. WhatsApp's side lives in this process: a Graph
API fake (the sandbox's own handlers) that hands each reply to the patient it is for.

`SimPatient` behaves like a person with one goal (book, reschedule, cancel, confirm, ask): it writes in its
language, posts each message as Meta does (signed, retried until acknowledged), and reacts to what comes back
(taps a row, says yes) until the goal's reply arrives or it gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.keys import GRAPH_FAKE_KEY
from bot.records.crypto import conversation_id, new_key
from bot.sandbox.whatsapp import GraphFake, SentMessage, add_whatsapp_sandbox, status_payload
from bot.whatsapp.webhook import SIGNATURE_HEADER, sign
from locales.catalog import RLM, message
from locales.messages import SOURCES
from od_adapter.models import AptStatus
from od_adapter.sandbox.seed import build_office, load_seed
from tests.conftest import free_port
from tests.deliveries import choice_delivery, text_delivery
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[1]
DEMO_PRACTICES = ROOT / "od_adapter/sandbox/data/demo_practices.toml"
SECRET = "simulator-secret"
CONVERSATION_KEY = "simulator-conversation-key"
FIRST_PRACTICE = 100000000000001

OPENINGS = {
    "book": {"en": "Hi, can I get a cleaning next week please?", "es": "Hola, quiero una limpieza la semana que viene",
             "pt": "Olá, quero marcar uma limpeza na semana que vem",
             "fr": "Bonjour, je voudrais un détartrage la semaine prochaine",
             "de": "Hallo, ich möchte nächste Woche eine Zahnreinigung", "ar": "مرحبا، أريد موعد تنظيف الأسبوع القادم",
             "hi": "नमस्ते, मुझे अगले हफ्ते दाँतों की सफ़ाई का अपॉइंटमेंट चाहिए"},
    "new": {"en": "Hi, I'd like to book an appointment", "es": "Hola, quiero pedir una cita por favor",
            "pt": "Olá, quero marcar uma consulta", "fr": "Bonjour, je voudrais prendre rendez-vous",
            "de": "Hallo, ich möchte einen Termin vereinbaren", "ar": "مرحبا، أريد حجز موعد",
            "hi": "नमस्ते, मुझे अपॉइंटमेंट बुक करना है"},
    "reschedule": {"en": "I need to reschedule my appointment", "es": "Necesito cambiar mi cita",
                   "pt": "Preciso remarcar minha consulta", "fr": "Je dois déplacer mon rendez-vous",
                   "de": "Ich muss meinen Termin verschieben", "ar": "أريد تغيير الموعد",
                   "hi": "मुझे अपने अपॉइंटमेंट का समय बदलना है"},
    "cancel": {"en": "I need to cancel my appointment", "es": "Necesito cancelar mi cita por favor",
               "pt": "Preciso cancelar minha consulta", "fr": "Je dois annuler mon rendez-vous",
               "de": "Ich muss meinen Termin absagen", "ar": "أريد إلغاء موعدي", "hi": "मुझे अपना अपॉइंटमेंट रद्द करना है"},
    "confirm": {"en": "Yes, I'll be there", "es": "Sí, allí estaré", "pt": "Sim, estarei lá", "fr": "Oui, je serai là",
                "de": "Ja, ich komme", "ar": "نعم، سأحضر", "hi": "हाँ, मैं आऊंगा"},
    "info": {"en": "what are your hours?", "es": "¿cuál es su horario?", "pt": "Qual é o horário de funcionamento?",
             "fr": "Quels sont vos horaires ?", "de": "Wie sind Ihre Öffnungszeiten?", "ar": "ما هي ساعات العمل؟",
             "hi": "क्लिनिक का समय क्या है?"},
}  # fmt: skip
# Patients who book ask for different things, as real ones do; all of them asking for the one hygiene chair's
# first three times next week would measure a queue for one chair, not the assistant.
BOOKING_ASKS = {
    "en": [
        "Hi, can I get a cleaning next week please?",
        "I'd like a check-up next week",
        "can I book a check-up?",
        "Can I get a cleaning next week, after 2 if possible?",
    ],
    "es": [
        "Hola, quiero una limpieza la semana que viene",
        "Hola, quiero una limpieza la semana que viene por la tarde",
    ],
} | {language: [OPENINGS["book"][language]] for language in ("pt", "fr", "de", "ar", "hi")}
DONE = {
    "book": "booked",
    "new": "booked",
    "reschedule": "rescheduled",
    "cancel": "cancelled",
    "confirm": "confirmed",
}
NEW_PATIENT_DETAILS = {"en": "{first} Lopez 03/14/1985", "es": "{first} López 14/03/1985",
                       "pt": "{first} Souza 14/03/1985", "fr": "{first} Martin 14/03/1985",
                       "de": "{first} Müller 14.03.1985", "ar": "{first} Ahmed 14/03/1985",
                       "hi": "{first} Sharma 14/03/1985"}  # fmt: skip
SPOKEN = ("en", "es", "pt", "fr", "de", "ar", "hi")
"""The languages patients write in, in turn (English and Spanish twice as often, as in the practices served)."""
ROTATION = ("en", "es", "en", "pt", "es", "fr", "en", "de", "ar", "hi")


def _pattern(template: str) -> re.Pattern[str]:
    literal = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(part) for part in literal), re.S)


# Every catalog message (each plural form) in the languages patients speak here, as a pattern, most specific
# first, so a reply can be named by its key.
TEXTS = {
    (source.key, language, message(source.key, language, count))
    for source in SOURCES
    for language in SPOKEN
    for count in (1, 2)
}
KEYS = [
    (key, language, _pattern(text))
    for key, language, text in sorted(TEXTS, key=lambda item: -len(item[2].replace("{", "")))
]


def reply_key(text: str) -> str:
    """The catalog key of a reply's text (its first message part), or "?"."""
    text = text.removeprefix(RLM)  # Arabic replies open with a right-to-left mark
    return next((key for key, _, pattern in KEYS if pattern.match(text)), "?")


def text_of(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    return ""


# -- WhatsApp's side, in this process ---------------------------------------------------------------------------


class GraphSink:
    """The Graph API fake, waking the patient each accepted message is for and, as Meta does, posting a
    `sent` status webhook for it (with its `biz_opaque_callback_data`) to `webhook_url` once that is set."""

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._notify])
        add_whatsapp_sandbox(self.app, SECRET)
        self.inboxes: dict[tuple[str, str], asyncio.Queue[SentMessage]] = defaultdict(asyncio.Queue)
        self.server: TestServer | None = None
        self.webhook_url = ""
        self._statuses: set[asyncio.Task[None]] = set()

    @property
    def fake(self) -> GraphFake:
        return self.app[GRAPH_FAKE_KEY]

    @web.middleware
    async def _notify(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if (
            request.path.endswith("/messages")
            and response.status == 200
            and isinstance(response, web.Response)
        ):
            wamids = [m["id"] for m in json.loads(response.body).get("messages", [])]  # type: ignore[arg-type]
            for sent in reversed(self.fake.sent):
                if sent.wamid in wamids:
                    self.inboxes[(sent.phone_number_id, sent.to)].put_nowait(sent)
                    self._post_later(status_payload(sent, "sent"))
                    break
        return response

    def _post_later(self, payload: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        task = asyncio.create_task(self._post_status(payload))
        self._statuses.add(task)
        task.add_done_callback(self._statuses.discard)

    async def _post_status(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        headers = {SIGNATURE_HEADER: sign(SECRET, raw), "Content-Type": "application/json"}
        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(20):  # Meta retries a webhook that was not acknowledged
                await asyncio.sleep(0.05 if attempt == 0 else 1.0)
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.post(self.webhook_url, content=raw, headers=headers)).status_code == 200:
                        return

    async def start(self) -> str:
        self.server = TestServer(self.app, host="127.0.0.1", port=free_port())
        await self.server.start_server(access_log=None)
        return f"http://127.0.0.1:{self.server.port}/sandbox/graph"

    async def stop(self) -> None:
        for task in list(self._statuses):
            task.cancel()
        if self.server is not None:
            await self.server.close()

    def sent_to(self, practice_id: str, phone: str) -> list[SentMessage]:
        return [m for m in self.fake.sent if m.phone_number_id == practice_id and m.to == phone]


# -- the deployment -----------------------------------------------------------------------------------------------


def practice_id(n: int) -> str:
    return str(FIRST_PRACTICE + n - 1)


def practices_toml(count: int, od_url: str, throttle: float) -> str:
    """The demo practice, once per sandbox office, each with its own number and Customer key variable."""
    template = DEMO_PRACTICES.read_text(encoding="utf-8")
    entries = []
    for n in range(1, count + 1):
        entry = (
            template.replace(f'phone_number_id = "{FIRST_PRACTICE}"', f'phone_number_id = "{practice_id(n)}"')
            .replace('name = "Bright Smile Dental"', f'name = "Bright Smile Dental #{n}"')
            .replace('base_url = "http://127.0.0.1:8080/sandbox/od/api/v1"', f'base_url = "{od_url}"')
            .replace(
                'developer_key_env = "DEMO_OD_DEVELOPER_KEY"', 'developer_key_env = "SIM_OD_DEVELOPER_KEY"'
            )
            .replace(
                'customer_key_env = "DEMO_OD_CUSTOMER_KEY"', f'customer_key_env = "SIM_OD_CUSTOMER_KEY_{n}"'
            )
            .replace('tier = "standard"', f'tier = "standard"\nthrottle_seconds = {throttle}')
        )
        entries.append(entry)
    return "\n".join(entries)


async def wait_for_http(url: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    async with httpx.AsyncClient(timeout=1) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):  # not listening yet
                if (await client.get(url)).status_code < 500:
                    return
            if time.monotonic() > end:
                raise RuntimeError(f"nothing answered at {url}")
            await asyncio.sleep(0.1)


@dataclass
class Stack:
    """Redis, the Open Dental sandbox, one web process and N workers, each a real process; WhatsApp in here."""

    workdir: Path
    practices: int = 2
    workers: int = 1
    od_throttle: float = 1.0
    debounce: float = 0.3
    aof: bool = True
    recovery_seconds: float = 30.0
    """How soon a dead worker's locks expire and its entries are reclaimed (CONVERSATION_LOCK/CLAIM_IDLE)."""
    sink: GraphSink = field(default_factory=GraphSink)
    redis_port: int = field(default_factory=free_port)
    od_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    worker_names: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    """What the product's processes run with; filled in by `start`."""
    product_root: Path = ROOT
    """The checkout the product's processes (web, workers) run from: another one measures a baseline commit
    against the same sandbox and patients."""
    _spawned: int = 0

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/webhook/whatsapp"

    @property
    def od_admin(self) -> str:
        return f"http://127.0.0.1:{self.od_port}/_admin"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._start_redis()
        graph_url = await self.sink.start()
        self.processes["od"] = self._spawn(
            "od",
            [
                "-m", "od_adapter.sandbox", "--port", str(self.od_port), "--offices", str(self.practices),
                "--throttle-seconds", str(self.od_throttle), "--readonly-throttle-seconds", "0",
            ],
        )  # fmt: skip
        od_url = f"http://127.0.0.1:{self.od_port}/api/v1"
        (self.workdir / "practices.toml").write_text(practices_toml(self.practices, od_url, self.od_throttle))
        self.env = self._environment(graph_url)
        await wait_for_http(f"{self.od_admin}/settings")
        self.processes["web"] = self._spawn(
            "web", ["-m", "bot", "serve", "--no-worker", "--port", str(self.web_port)]
        )
        await wait_for_http(f"http://127.0.0.1:{self.web_port}/readyz")
        self.sink.webhook_url = self.webhook_url
        for _ in range(self.workers):
            self.start_worker()

    def _environment(self, graph_url: str) -> dict[str, str]:
        keys = {f"SIM_OD_CUSTOMER_KEY_{n}": f"sandbox-customer{'' if n == 1 else f'-{n}'}" for n in range(1, self.practices + 1)}  # fmt: skip
        return {
            **os.environ,
            **keys,
            "SIM_OD_DEVELOPER_KEY": "sandbox-dev",
            "PRACTICES_FILE": str(self.workdir / "practices.toml"),
            "REDIS_URL": self.redis_url,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "simulator-verify",
            "WHATSAPP_TOKEN": "simulator-token",
            "GRAPH_API_BASE_URL": graph_url,
            "DATA_ENCRYPTION_KEYS": new_key(),
            "CONVERSATION_KEY": CONVERSATION_KEY,
            "CONSOLE_SECRET": "simulator-console-secret",
            "CHOICE_ID_SECRET": "test-choice-id-secret",
            "METRICS_ADDRESS": "127.0.0.1:0",
            "INBOUND_DEBOUNCE_SECONDS": str(self.debounce),
            "CONVERSATION_LOCK_SECONDS": str(self.recovery_seconds),
            "CLAIM_IDLE_SECONDS": str(self.recovery_seconds),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            # A stack without AOF exists only to measure what that loses; the start-up check would refuse it.
            **({} if self.aof else {"REDIS_DURABILITY": "off"}),
        }

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        cwd = ROOT if name in ("od", "redis") else self.product_root
        return subprocess.Popen([sys.executable, *args], cwd=cwd, env=self.env, stdout=log, stderr=log)

    def _start_redis(self) -> None:
        self.processes["redis"] = start_redis(self.redis_port, self.workdir, aof=self.aof)

    def start_worker(self) -> str:
        self._spawned += 1
        name = f"worker-{self._spawned}"
        self.processes[name] = self._spawn(name, ["-m", "bot", "worker"])
        self.worker_names.append(name)
        return name

    def kill_worker(self, name: str) -> None:
        """SIGKILL: no shutdown, no finally blocks; whatever the worker was doing stops mid-way."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()
        self.worker_names.remove(name)

    def restart_redis(self, down_seconds: float = 1.0) -> None:
        """Stop Redis as an orchestrator would (SIGTERM), leave it down a moment, start it on the same files."""
        process = self.processes["redis"]
        process.terminate()
        process.wait(timeout=10)
        time.sleep(down_seconds)
        self._start_redis()

    async def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        await self.sink.stop()

    async def __aenter__(self) -> Stack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def turn_figures(self) -> list[dict[str, Any]]:
        """Every turn's figures from the workers' JSON logs, with the conversation they belong to."""
        turns = []
        for log in sorted(self.workdir.glob("worker-*.log")):
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{") and '"figures"' in line:
                    entry = json.loads(line)
                    turns.append({**entry["figures"], "conversation": entry.get("conversation")})
        return turns

    async def books_loaded(self, deadline: float = 300.0) -> float:
        """Wait until the workers' loaders have read every practice's book (seconds waited), as a practice
        that has been running a while has it: a busy hour is measured on a warm book."""
        started = time.monotonic()
        while time.monotonic() - started < deadline:
            loaded = sum("the book is loaded" in line for line in self.log_lines())
            if loaded >= self.practices:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        raise RuntimeError("the books never finished loading")

    def log_lines(self, level: str = "INFO") -> list[str]:
        levels = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "CRITICAL": 4}
        lines = []
        for log in sorted(self.workdir.glob("*.log")):
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{") and levels.get(json.loads(line).get("level"), 0) >= levels[level]:
                    lines.append(line)
        return lines

    def od(self, practice: int) -> httpx.AsyncClient:
        suffix = "" if practice == 1 else f"-{practice}"
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.od_port}/api/v1/",
            headers={"Authorization": f"ODFHIR sandbox-dev/sandbox-readonly{suffix}", "Content-Type": "application/json"},
            timeout=30,
        )  # fmt: skip


# -- who writes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededPatient:
    pat_num: int
    first_name: str
    wa_id: str
    apt_num: int | None
    """Their one upcoming appointment, if they have exactly one."""


def seeded_patients(now: datetime | None = None) -> list[SeededPatient]:
    """Patients of the demo office alone on their phone number (no family to choose from), as the sandbox
    seeds every office: the seed is deterministic for a given day."""
    office = build_office(load_seed())
    now = now or datetime.now()
    by_phone: dict[str, list[int]] = defaultdict(list)
    for patient in office.patients.values():
        digits = re.sub(r"\D", "", patient.wireless_phone or patient.hm_phone or "")
        if len(digits) == 10:
            by_phone[digits].append(patient.pat_num)
    upcoming: dict[int, list[int]] = defaultdict(list)
    for appointment in office.appointments.values():
        if appointment.apt_status is AptStatus.SCHEDULED and appointment.apt_date_time > now:
            upcoming[appointment.pat_num].append(appointment.apt_num)
    chosen = []
    for digits, pat_nums in sorted(by_phone.items()):
        if len(pat_nums) != 1:
            continue
        patient = office.patients[pat_nums[0]]
        apts = upcoming.get(patient.pat_num, [])
        soon = [a for a in apts if office.appointments[a].apt_date_time > now + timedelta(days=1)]
        chosen.append(SeededPatient(patient.pat_num, patient.f_name, f"1{digits}", soon[0] if len(apts) == len(soon) == 1 else None))  # fmt: skip
    return chosen


@dataclass
class Outcome:
    goal: str
    language: str
    practice: str
    wa_id: str
    completed: bool = False
    last_key: str = ""
    messages: int = 0
    latencies: list[float] = field(default_factory=list)
    webhook_retries: int = 0
    seconds: float = 0.0

    @property
    def conversation(self) -> str:
        return conversation_id(CONVERSATION_KEY, self.practice, self.wa_id)


@dataclass
class SimPatient:
    stack: Stack
    practice: str
    wa_id: str
    goal: str
    language: str = "en"
    first_name: str = "Ana"
    reply_timeout: float = 90.0
    rng: random.Random = field(default_factory=random.Random)
    max_steps: int = 12
    """A patient who has written this much and still has no answer gives up (each lost race costs two)."""
    copies: int = 1
    """Each delivery posted this many times at once, as Meta's retries can arrive."""

    async def run(self, client: httpx.AsyncClient) -> Outcome:
        outcome = Outcome(self.goal, self.language, self.practice, self.wa_id)
        inbox = self.stack.sink.inboxes[(self.practice, self.wa_id)]
        started = time.perf_counter()
        opening = BOOKING_ASKS[self.language] if self.goal == "book" else [OPENINGS[self.goal][self.language]]
        action: dict[str, Any] | None = {"text": self.rng.choice(opening)}
        while action is not None and outcome.messages < self.max_steps:
            sent_at = time.perf_counter()
            await self._post(client, action, outcome)
            outcome.messages += 1
            action, first = await self._react(inbox, outcome)
            if first is not None:
                outcome.latencies.append(first - sent_at)
        if action is not None:
            outcome.last_key = f"gave up after {outcome.messages} messages at {outcome.last_key}"
        outcome.seconds = time.perf_counter() - started
        return outcome

    async def _react(
        self, inbox: asyncio.Queue[SentMessage], outcome: Outcome
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Read replies until one tells what to do next (or that the goal is reached); None when done or stuck."""
        first: float | None = None
        while True:
            try:
                sent = await asyncio.wait_for(inbox.get(), self.reply_timeout)
            except TimeoutError:
                outcome.last_key = outcome.last_key or "no reply"
                return None, first
            first = first or time.perf_counter()
            key = reply_key(text_of(sent.body))
            outcome.last_key = key
            if DONE.get(self.goal) == key or (self.goal == "info" and key not in ("fallback", "?")):
                outcome.completed = True
                return None, first
            if (action := self._next(sent, key)) is not None:
                return action, first
            if key in ("fallback", "od_unavailable", "none_upcoming", "handoff", "od_unavailable.staff"):
                return None, first

    def _next(self, sent: SentMessage, key: str) -> dict[str, Any] | None:
        if key == "ask.details":
            return {"text": NEW_PATIENT_DETAILS[self.language].format(first=self.first_name)}
        body = sent.body
        if body.get("type") != "interactive":
            return None
        interactive = body["interactive"]
        if interactive["type"] == "list":
            rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
            options = [r for r in rows if r["id"].startswith("opt:")]
            kinds = [r for r in rows if r["id"] == "kind:cleaning"]
            row = self.rng.choice(options) if options else (kinds or rows)[0]
            return {"list_id": row["id"], "title": row["title"], "context": sent.wamid}
        buttons = {b["reply"]["id"]: b["reply"]["title"] for b in interactive["action"]["buttons"]}
        yes = next((b for b in buttons if b.split(":")[0] == "yes"), None)
        wanted = yes or f"menu:{'book' if self.goal == 'new' else self.goal}"
        if wanted not in buttons:
            return None
        return {"button_id": wanted, "title": buttons[wanted], "context": sent.wamid}

    async def _post(self, client: httpx.AsyncClient, action: dict[str, Any], outcome: Outcome) -> None:
        """Deliver one message as Meta does: signed, and retried with backoff until it is acknowledged."""
        wamid = f"wamid.SIM{uuid.uuid4().hex[:24]}"
        if "text" in action:
            payload = text_delivery(wamid, action["text"], practice_id=self.practice, sender=self.wa_id, name=self.first_name)  # fmt: skip
        else:
            kind = "list_reply" if "list_id" in action else "button_reply"
            choice = action.get("list_id") or action["button_id"]
            payload = choice_delivery(wamid, choice, action["title"], kind=kind, context_id=action["context"], practice_id=self.practice, sender=self.wa_id, name=self.first_name)  # fmt: skip
        raw = json.dumps(payload).encode()
        await asyncio.gather(*(self._deliver(client, raw, outcome) for _ in range(self.copies)))

    async def _deliver(self, client: httpx.AsyncClient, raw: bytes, outcome: Outcome) -> None:
        headers = {SIGNATURE_HEADER: sign(SECRET, raw), "Content-Type": "application/json"}
        delay = 0.25
        for _ in range(40):
            with contextlib.suppress(httpx.HTTPError):  # a web process down is retried like a 503
                if (
                    await client.post(self.stack.webhook_url, content=raw, headers=headers)
                ).status_code == 200:
                    return
            outcome.webhook_retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)
        raise RuntimeError("the webhook never acknowledged a delivery")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


MIX = {"book": 4, "new": 1, "reschedule": 2, "cancel": 1, "confirm": 1, "info": 1}


def cast(stack: Stack, per_practice: int, *, seed: int = 7, mix: dict[str, int] = MIX) -> list[SimPatient]:
    """`per_practice` patients for every practice, goals in the proportions of `mix`, languages in turn (ROTATION).

    Each seeded patient appears once per practice: those with one upcoming appointment change or confirm it,
    the others book; new patients write from numbers the office does not know."""
    rng = random.Random(seed)
    seeded = seeded_patients()
    with_visit = [p for p in seeded if p.apt_num is not None]
    without = [p for p in seeded if p.apt_num is None]
    goals = [goal for goal, weight in mix.items() for _ in range(weight)]
    patients = []
    for n in range(1, stack.practices + 1):
        visits, others = list(with_visit), list(without)
        rng.shuffle(visits)
        rng.shuffle(others)
        for i in range(per_practice):
            goal = goals[i % len(goals)]
            language = ROTATION[(i + n) % len(ROTATION)]
            if goal in ("reschedule", "cancel", "confirm") and visits:
                who = visits.pop()
                wa_id, first = who.wa_id, who.first_name
            elif goal == "new":
                wa_id, first = f"1202555{n:02d}{i:02d}", rng.choice(["Ana", "Lucas", "Maya", "Omar"])
            else:
                goal = goal if goal == "info" else "book"  # no visit left to change: this patient books
                who = others.pop()
                wa_id, first = who.wa_id, who.first_name
            patients.append(
                SimPatient(
                    stack, practice_id(n), wa_id, goal, language, first, rng=random.Random(rng.random())
                )
            )
    return patients
