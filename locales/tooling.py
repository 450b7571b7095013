"""Writing catalogs: the English catalog is filled from the source text, so English is written once."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill_english(template: Path, target: Path) -> None:
    """The English catalog: every message's translation is its source text."""
    with template.open("rb") as f:
        catalog = read_po(f, locale="en")
    for msg in catalog:
        if msg.id:
            msg.string = msg.id
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as f:
        write_po(f, catalog, no_location=True, sort_output=True)
