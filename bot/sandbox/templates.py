"""The WhatsApp sandbox's message templates, as a WhatsApp Business Account holds them, and Meta's checks on a
template send.

A template is registered per (name, language code) with its body (`{{1}}`..`{{n}}` placeholders), its
quick-reply button titles, its category (utility or marketing) and its status. A send is refused as Meta
refuses it (the error codes of Meta's "Error codes" page): a name or language the account lacks, or a template
not approved, 132001; the wrong number of body parameters, 132000; a button component for a button the
template does not have, 131009; a paused template, 132015; a disabled one, 132016.

A quick-reply button needs no payload parameter on a send: Meta then returns the button's text as the payload
when it is tapped, which `button_payloads` reproduces.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Category = Literal["utility", "marketing"]
TemplateStatus = Literal["APPROVED", "PAUSED", "DISABLED", "PENDING", "REJECTED"]
CATEGORIES: tuple[Category, ...] = ("utility", "marketing")
STATUSES: tuple[TemplateStatus, ...] = ("APPROVED", "PAUSED", "DISABLED", "PENDING", "REJECTED")
QUICK_REPLIES_MAX = 10
"""Quick-reply buttons a template may have (Meta allows ten buttons in all)."""
QUICK_REPLY_TEXT_MAX = 25
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class Template:
    """An approved (or paused, disabled...) template in one language."""

    name: str
    language: str
    body: str
    """The body text, with `{{1}}`..`{{n}}` where the send's body parameters go."""
    buttons: tuple[str, ...] = ()
    """The quick-reply buttons' titles, in index order."""
    category: Category = "utility"
    status: TemplateStatus = "APPROVED"

    def __post_init__(self) -> None:
        numbers = sorted({int(n) for n in PLACEHOLDER.findall(self.body)})
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("body placeholders must be {{1}} to {{n}}, none skipped")
        if len(self.buttons) > QUICK_REPLIES_MAX:
            raise ValueError(f"a template has at most {QUICK_REPLIES_MAX} quick-reply buttons")
        if any(not 0 < len(t) <= QUICK_REPLY_TEXT_MAX for t in self.buttons):
            raise ValueError(f"quick-reply button text is 1 to {QUICK_REPLY_TEXT_MAX} characters")
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")

    @property
    def parameter_count(self) -> int:
        return len(set(PLACEHOLDER.findall(self.body)))

    def filled(self, parameters: list[str]) -> str:
        """The body as the patient reads it."""
        return PLACEHOLDER.sub(
            lambda m: parameters[int(m[1]) - 1] if int(m[1]) <= len(parameters) else m[0], self.body
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"buttons": list(self.buttons)}


@dataclass(frozen=True)
class Refusal:
    code: int
    details: str


def body_parameters(content: dict[str, Any]) -> list[str]:
    """The text of the body component's parameters, in order."""
    for component in content.get("components") or []:
        if str(component.get("type", "")).lower() == "body":
            return [str(p.get("text", "")) for p in component.get("parameters") or []]
    return []


def button_payloads(content: dict[str, Any], template: Template) -> list[str]:
    """Each quick-reply button's payload: the one the send gave for its index, else its text (as Meta does)."""
    payloads = list(template.buttons)
    for component in content.get("components") or []:
        if str(component.get("type", "")).lower() != "button":
            continue
        index = int(component.get("index", -1))
        parameters = component.get("parameters") or [{}]
        if 0 <= index < len(payloads) and parameters[0].get("payload"):
            payloads[index] = str(parameters[0]["payload"])
    return payloads


def view(content: dict[str, Any], template: Template) -> dict[str, Any]:
    """What the patient's phone shows for a send of `template`: `{"text", "buttons": [{"title", "payload"}]}`."""
    payloads = button_payloads(content, template)
    buttons = [{"title": t, "payload": p} for t, p in zip(template.buttons, payloads, strict=True)]
    return {"text": template.filled(body_parameters(content)), "buttons": buttons}


def tap(
    content: dict[str, Any], template: Template | None, payload: str | None, text: str | None
) -> tuple[str, str]:
    """The payload and text of a tap on a quick-reply button of this send, each found from the other (a
    missing text is the title of the payload's button; a missing payload is the titled button's payload)."""
    if template is not None:
        payloads = button_payloads(content, template)
        if payload is not None and text is None and payload in payloads:
            text = template.buttons[payloads.index(payload)]
        if text is not None and payload is None and text in template.buttons:
            payload = payloads[template.buttons.index(text)]
    return str(payload if payload is not None else text), str(text if text is not None else payload)


def refusal(content: dict[str, Any], template: Template | None) -> Refusal | None:
    """Why Meta would refuse this `template` object, given what the account holds for its name and language."""
    name, language = content.get("name", ""), (content.get("language") or {}).get("code", "")
    if template is None or template.status in ("PENDING", "REJECTED"):
        return Refusal(132001, f"template name ({name}) does not exist in {language}")
    if template.status == "PAUSED":
        return Refusal(132015, f"template ({name}) is paused due to low quality")
    if template.status == "DISABLED":
        return Refusal(132016, f"template ({name}) has been paused too many times and is disabled")
    given = len(body_parameters(content))
    if given != template.parameter_count:
        return Refusal(132000, f"body: number of localizable_params ({given}) does not match the expected number of params ({template.parameter_count})")  # fmt: skip
    return _button_refusal(content, template)


def _button_refusal(content: dict[str, Any], template: Template) -> Refusal | None:
    seen: set[int] = set()
    for component in content.get("components") or []:
        if str(component.get("type", "")).lower() != "button":
            continue
        raw = component.get("index")
        kind = str(component.get("sub_type", "")).lower()
        if not str(raw).isdecimal():
            return Refusal(131009, "Parameter value is not valid: button index must be a number")
        index = int(str(raw))
        if kind != "quick_reply" or index >= len(template.buttons):
            return Refusal(131009, f"Parameter value is not valid: Button at index {index} of type {kind.capitalize() or 'Unknown'} does not exist")  # fmt: skip
        if index in seen:
            return Refusal(131009, f"Parameter value is not valid: button at index {index} is given twice")
        seen.add(index)
        parameters = component.get("parameters") or []
        if len(parameters) != 1 or parameters[0].get("type") != "payload":
            return Refusal(131009, "Parameter value is not valid: a quick_reply button takes one payload parameter")  # fmt: skip
    return None
