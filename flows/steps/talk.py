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


def greet(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["ahead", "__end__"]]:
    """Thanks get a welcome; a greeting gets the menu, with "Confirm my visit" when the patient has one ahead."""
    if state["understood"].intent is Intent.THANKS:
        return Command(goto=END, update={"replies": [text("welcome")]})
    if "visits" not in state:
        return Command(goto="ahead", update={"menu_for": "greet"})
    reply = menu("greeting", runtime.context.practice, confirm=to_confirm(state))
    return Command(goto=END, update={"replies": [reply]})


def to_confirm(state: TurnState) -> bool:
    """A visit ahead that Open Dental does not show confirmed yet."""
    return any(not visit.confirmed for visit in state.get("visits", []))


def info(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """Answer every topic the message asks about from the practice file; else say what can be answered."""
    facts, u = runtime.context.practice.info, state["understood"]
    asked = u.info_topics or ([u.info_topic] if u.info_topic else [])
    answers = [text("info.answer", answer=facts[topic]) for topic in dict.fromkeys(asked) if topic in facts]
    return {"replies": answers or [text("info.topics", topics=topic_keys(facts))]}


def topic_keys(facts: dict[str, str]) -> str:
    """The practice's info topics as catalog keys joined for rendering ("topic.hours|topic.parking")."""
    return "|".join(f"topic.{topic}" for topic in sorted(facts) if topic in TOPIC_NAMES) or "topic.hours"


TOPIC_NAMES = ("hours", "address", "parking", "insurance", "bring")


def reset(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    return {"conv": state["conv"].finished(), "replies": [menu("reset", runtime.context.practice)]}


def fallback(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["escalate", "ahead", "__end__"]]:
    """Not understood: offer the menu (confirming a visit ahead too); after the practice's count in a row, a
    person takes over."""
    conv = state["conv"].model_copy(deep=True)
    conv.failures += 1
    if conv.failures >= runtime.context.practice.handoff_failures:
        update: TurnState = {
            "conv": conv,
            "reason": "not_understood",
            "replies": [text("fallback.giving_up")],
        }
        return Command(goto="escalate", update=update)
    if "visits" not in state:
        # Read them first (the failure is counted on the way back, once: this update leaves `conv` alone).
        return Command(goto="ahead", update={"menu_for": "fallback"})
    reply = menu("fallback", runtime.context.practice, confirm=to_confirm(state))
    # The menu, the topics it can answer and the way to a person: a patient who is not understood is never stuck.
    reply.params["topics"] = topic_keys(runtime.context.practice.info)
    return Command(goto=END, update={"conv": conv, "replies": [reply]})
