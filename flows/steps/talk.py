"""Talk that books nothing: greetings, thanks, practice information, starting over, not understanding."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows.context import Deps, TurnState
from flows.nlu.understanding import Intent
from flows.questions import menu
from flows.replies import text
from flows.steps import END


def acknowledge(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """A message that only asked for another language: its confirmation is the whole reply."""
    return {}


def greet(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    if state["understood"].intent is Intent.THANKS:
        return {"replies": [text("welcome")]}
    return {"replies": [menu("greeting", runtime.context.practice)]}


def info(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    facts = runtime.context.practice.info
    topic = state["understood"].info_topic
    if topic and topic in facts:
        return {"replies": [text("info.answer", answer=facts[topic])]}
    return {"replies": [text("info.topics", topics=", ".join(sorted(facts)) or "-")]}


def reset(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    return {"conv": state["conv"].finished(), "replies": [menu("reset", runtime.context.practice)]}


def fallback(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["escalate", "__end__"]]:
    """Not understood: offer the menu; after the practice's count in a row, a person takes over."""
    conv = state["conv"].model_copy(deep=True)
    conv.failures += 1
    if conv.failures >= runtime.context.practice.handoff_failures:
        update: TurnState = {
            "conv": conv,
            "reason": "not_understood",
            "replies": [text("fallback.giving_up")],
        }
        return Command(goto="escalate", update=update)
    return Command(goto=END, update={"conv": conv, "replies": [menu("fallback", runtime.context.practice)]})
