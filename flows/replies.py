"""Replies as message keys and parameters; the edge renders them in the patient's language at send time."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

Param = str | int | datetime | date


class Choice(BaseModel):
    id: str
    key: str | None = None
    """A catalog key for the title, or None when `title` is already the text (a time, a name)."""
    title: str = ""
    params: dict[str, Param] = Field(default_factory=dict)
    description_key: str | None = None


class Reply(BaseModel):
    key: str
    params: dict[str, Param] = Field(default_factory=dict)
    buttons: list[Choice] = Field(default_factory=list)
    """Up to three reply buttons."""
    rows: list[Choice] = Field(default_factory=list)
    """Up to ten list rows; the list's button is `list_key`."""
    list_key: str = "button.see_times"


def text(key: str, **params: Param) -> Reply:
    return Reply(key=key, params=params)
