"""The conversation graph: every step a node, every transition an edge or a typed `Command` the graph knows.

A pure turn function (DESIGN.md decision 1): `run_turn` takes the stored session and the turn's messages and
returns the new session and the replies. No checkpointer: the caller persists the session. A step that raises
is caught here: the session stays as it was, and the patient gets an apology and a way forward, never silence.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from flows import choices
from flows.context import ActionTaken, Cue, Deps, TurnState
from flows.nlu.understanding import Understanding
from flows.questions import menu, pending_question
from flows.replies import Reply, text
from flows.routing import ROUTES, route_after_understand
from flows.session import Session
from flows.steps import change, confirm, entry, handoff, identify, offer, refill, remind, talk

logger = logging.getLogger(__name__)

Node = Callable[..., Any]
Graph = CompiledStateGraph[TurnState, Deps, TurnState, TurnState]
"""The compiled graph: the turn's state in and out, the run's `Deps` as its context."""

DECIDING: dict[str, Node] = {
    "gate": entry.gate,
    "unsupported": entry.unsupported,
    "language": entry.language,
    "understand": entry.understand,
    "acknowledge": talk.acknowledge,
    "greet": talk.greet,
    "info": talk.info,
    "reset": talk.reset,
    "fallback": talk.fallback,
    "emergency": handoff.emergency,
    "staff_request": handoff.staff_request,
    "od_failed": handoff.od_failed,
    "escalate": handoff.escalate,
    "offer": offer.offer,
    "present": offer.present,
    "choose_time": offer.choose_time,
    "consent": confirm.consent,
    "who": identify.who,
    "details": identify.details,
    "read_back": identify.read_back,
    "change": change.change,
    "pick": change.pick,
    "remind": remind.remind,
    "offer_opening": refill.offer_opening,
}
"""Steps that decide from the state alone: no Open Dental, no writes."""
READING: dict[str, Node] = {
    "identify": identify.identify,
    "search": offer.search,
    "upcoming": change.upcoming,
    "reminded": remind.reminded,
    "ahead": change.ahead,
}
"""Steps that read Open Dental through the office port."""
WRITING: dict[str, Node] = {
    "create_patient": identify.create_patient,
    "book": confirm.book,
    "reschedule": confirm.reschedule,
    "cancel": confirm.cancel,
    "confirm_visit": change.confirm_visit,
    "hand_off": handoff.hand_off,
    "opt_out": remind.opt_out,
    "opening_answer": refill.opening_answer,
}
"""Steps that write to Open Dental, each reached only after the patient's yes (or a handoff)."""
STEPS: dict[str, Node] = {**DECIDING, **READING, **WRITING}
ENDS_TURN = ("unsupported", "acknowledge", "info", "reset", "present", "hand_off", "remind", "offer_opening")
"""Steps that return a plain update: the turn ends after them."""


def build_graph() -> Graph:
    """Wire the steps; the only place edges are defined (the others are the steps' typed `Command`s)."""
    builder = StateGraph(TurnState, context_schema=Deps)
    for name, node in STEPS.items():
        builder.add_node(name, node)
    builder.add_edge(START, "gate")
    builder.add_conditional_edges("understand", route_after_understand, list(ROUTES))
    for name in ENDS_TURN:
        builder.add_edge(name, END)
    return builder.compile()


@dataclass
class TurnRun:
    """What one turn did: the new session, the replies, and for the transcript its path, writes and markers."""

    session: Session
    replies: list[Reply]
    understood: Understanding | None = None
    path: list[str] = field(default_factory=list)
    actions: list[ActionTaken] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    failed: bool = False
    """A step raised: the session is the one from before, plus the error counter."""


async def run_turn(
    graph: Graph,
    session: Session,
    texts: list[str],
    choice_id: str | None,
    deps: Deps,
    *,
    readable: bool = True,
    silent: bool = False,
    cue: Cue | None = None,
) -> TurnRun:
    """One turn (the session passed in is not modified); with `cue`, the scheduler's reminder."""
    conv = session.conversation
    start: TurnState = {
        "conv": conv,
        "before": conv,
        "handoff": session.handoff,
        "od_failures": session.od_failures,
        "errors": session.errors,
        "texts": texts,
        "tap": choices.parse(choice_id),
        "readable": readable,
        "silent": silent,
    }
    if cue is not None:
        start["cue"] = cue
    path: list[str] = []
    actions: list[ActionTaken] = []
    result: dict[str, Any] = {}
    try:
        # With a list of modes each item is a (mode, chunk) pair; LangGraph's overloads type it as a bare chunk.
        stream = cast(
            AsyncIterator[tuple[str, dict[str, Any]]],
            graph.astream(start, context=deps, stream_mode=["updates", "values"]),
        )
        async for mode, chunk in stream:
            if mode == "updates":
                path.extend(chunk)
                for update in chunk.values():
                    actions.extend((update or {}).get("actions", []) if isinstance(update, dict) else [])
            else:
                result = chunk
    except Exception as exc:
        # A bug, not Open Dental (the steps turn those into replies): log it without PHI and apologise.
        logger.error("turn failed after %s: %s", "/".join(path) or "start", type(exc).__name__)
        logger.debug("turn failure", exc_info=True)
        return _failed(session, actions, path, deps)
    new_conv = result["conv"]
    if "fallback" not in path and "hand_off" not in path:
        new_conv = new_conv.model_copy(update={"failures": 0})  # only failures in a row count
    new = Session(
        conversation=new_conv,
        handoff=result["handoff"],
        od_failures=result["od_failures"] if "od_failed" in path else 0,
        errors=0,
    )
    return TurnRun(
        session=new,
        replies=list(result.get("replies", [])),
        understood=result.get("understood"),
        path=path,
        actions=list(result.get("actions", [])),
        notes=list(result.get("notes", [])),
        events=list(result.get("events", [])),
    )


def _failed(session: Session, actions: list[ActionTaken], path: list[str], deps: Deps) -> TurnRun:
    """The apology: what was done before the failure, then the question we wait on (or the menu and a person)."""
    done = [_outcome(a) for a in actions]
    replies = [r for r in done if r is not None]
    conv = session.conversation
    if replies:
        # Something was written: the question that led to it is answered, so it is not asked again.
        conv = conv.finished()
        replies.append(menu("turn.sorry_after", deps.practice))
    elif (question := pending_question(conv, deps.practice)) is not None:
        replies = [text("turn.sorry"), question]
    else:
        replies = [menu("turn.sorry_menu", deps.practice)]
    failed = session.model_copy(update={"conversation": conv, "errors": session.errors + 1})
    return TurnRun(
        session=failed, replies=replies, path=path, actions=actions, events=["failed"], failed=True
    )


def _outcome(action: ActionTaken) -> Reply | None:
    if action.action == "create_patient":
        return text("details.saved")
    if action.start is None:
        return None
    if action.action == "book":
        return text("booked", when=action.start, provider=action.provider)
    if action.action == "reschedule":
        return text("rescheduled", when=action.start, provider=action.provider)
    if action.action == "cancel":
        return text("cancelled", when=action.start)
    if action.action == "confirm":
        return text("confirmed", when=action.start)
    return None
