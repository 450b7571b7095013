"""The conversation graph: understand, route by what was said and what we wait for, do one step, reply.

A pure turn function (DESIGN.md decision 1): `run_turn` takes the stored state and the turn's messages and
returns the new state and the replies. No checkpointer: the caller persists the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from flows import nodes
from flows.context import ActionTaken, Deps, TurnState
from flows.nlu.understanding import Intent, Understanding
from flows.replies import Reply
from flows.state import ConversationState

Step = Literal[
    "emergency", "handoff", "reset", "greet", "info", "offer", "who", "details", "choose", "answer", "change",
    "pick", "fallback", "acknowledge",
]  # fmt: skip
STEPS: dict[str, object] = {
    "emergency": nodes.emergency,
    "handoff": nodes.handoff,
    "reset": nodes.reset,
    "greet": nodes.greet,
    "info": nodes.info,
    "offer": nodes.offer,
    "who": nodes.who,
    "details": nodes.details,
    "choose": nodes.choose,
    "answer": nodes.answer,
    "change": nodes.change,
    "pick": nodes.pick,
    "fallback": nodes.fallback,
    "acknowledge": nodes.acknowledge,
}
CHOICE_STEPS: dict[str, Step] = {
    "opt": "choose", "apt": "pick", "kind": "offer", "yes": "answer", "no": "answer", "other": "answer",
    "menu:book": "offer", "menu:reschedule": "change", "menu:cancel": "change", "menu:confirm": "change",
}  # fmt: skip


def route_after_understand(state: TurnState) -> Step:
    """Safety first, then a tap, then what we are waiting for, then what the patient asked for."""
    conv, u = state["conv"], state["u"]
    choice = state.get("choice_id")
    if u.emergency:
        return "emergency"
    if u.intent is Intent.HUMAN or u.out_of_scope:
        return "handoff"
    if u.intent is Intent.NEVER_MIND:
        return "reset"
    if choice:
        return CHOICE_STEPS.get(choice) or CHOICE_STEPS.get(choice.split(":", 1)[0]) or "fallback"
    if waiting := _waiting_step(conv, state):
        return waiting
    if u.intent is Intent.BOOK:
        return "offer"
    if u.intent in (Intent.RESCHEDULE, Intent.CANCEL, Intent.CONFIRM):
        return "change"
    if conv.intent in ("book", "reschedule") and (u.intent is Intent.OTHER_TIMES or u.has_when or u.kind):
        return "offer"
    if u.intent is Intent.INFO:
        return "info"
    if u.intent in (Intent.GREETING, Intent.THANKS):
        return "greet"
    if u.kind or u.has_when:
        return "offer"
    return "acknowledge" if state.get("language_switched") else "fallback"


def _waiting_step(conv: ConversationState, state: TurnState) -> Step | None:
    u = state["u"]
    switching = u.intent in (Intent.BOOK, Intent.RESCHEDULE, Intent.CANCEL, Intent.CONFIRM, Intent.INFO)
    if conv.awaiting == "confirm" and u.yes is not None and not u.has_when:
        return "answer"
    if conv.awaiting in ("confirm", "option") and (
        u.intent is Intent.OTHER_TIMES or (u.has_when and u.at is None)
    ):
        return "offer"
    if conv.awaiting in ("option", "confirm") and (u.choice is not None or u.at is not None):
        return "choose"
    if conv.awaiting == "which" and u.choice is not None:
        return "pick"
    if conv.awaiting == "who" and not switching:
        return "who"
    if conv.awaiting == "details" and not switching:
        return "details"
    if conv.awaiting == "kind" and u.kind:
        return "offer"
    return None


def build_graph() -> CompiledStateGraph:
    """Wire the nodes; the only place edges are defined."""
    builder = StateGraph(TurnState, context_schema=Deps)
    builder.add_node("understand", nodes.understand)
    for name, node in STEPS.items():
        builder.add_node(name, node)  # type: ignore[arg-type]
        builder.add_edge(name, END)
    builder.add_edge(START, "understand")
    builder.add_conditional_edges("understand", route_after_understand, list(STEPS))
    return builder.compile()


@dataclass
class TurnRun:
    """What one turn did: the new state, the replies, and for the transcript its path and writes."""

    conv: ConversationState
    replies: list[Reply]
    understood: Understanding | None = None
    path: list[str] = field(default_factory=list)
    actions: list[ActionTaken] = field(default_factory=list)


async def run_turn(
    graph: CompiledStateGraph, state: ConversationState, texts: list[str], choice_id: str | None, deps: Deps
) -> TurnRun:
    """One turn (the state passed in is not modified)."""
    path: list[str] = []
    result: dict[str, Any] = {}
    start = {"conv": state.model_copy(deep=True), "texts": texts, "choice_id": choice_id, "replies": []}
    async for mode, chunk in graph.astream(start, context=deps, stream_mode=["updates", "values"]):
        if mode == "updates":
            path.extend(chunk)
        else:
            result = chunk
    conv: ConversationState = result["conv"]
    replies: list[Reply] = list(result["replies"])
    if not any(r.key == "fallback" for r in replies) and conv.handoff is None:
        conv.failures = 0  # only failures in a row count towards a handoff
    return TurnRun(conv, replies, result.get("u"), path, list(result.get("actions", [])))
