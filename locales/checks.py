"""What makes a catalog wrong: a missing or fuzzy message, a lost or invented placeholder, a wrong number of
plural forms, an English text left untranslated, or an interactive title longer than WhatsApp allows.
"""

from __future__ import annotations

from string import Formatter

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from locales.catalog import CATALOGS, LOCALES_DIR, babel_locale, po_path
from locales.messages import SOURCES, Source

# Keys whose text is only placeholders and a unit every language abbreviates alike.
SAME_EVERYWHERE = frozenset({"info.answer", "row.option", "row.option_detail"})
# The same word in both languages: a translation, not a leftover.
SAME_WORD = frozenset({("es", "button.no")})
# WhatsApp's limits: reply buttons and the list button 20 characters, list rows 24.
TITLE_LIMITS = {"button.": 20, "kind.": 24}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _read(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=babel_locale(language))


def template_problems() -> list[str]:
    """The template must hold exactly the source's messages (run `python -m locales update` when it does not)."""
    with (LOCALES_DIR / "messages.pot").open("rb") as f:
        template = read_po(f)
    extracted = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in template if m.id}
    source = {(s.key, s.text if s.plural is None else (s.text, s.plural)) for s in SOURCES}
    return [f"messages.pot: out of date for {key!r}" for key, _ in sorted(extracted ^ source, key=str)]


def message_problems(language: str, catalog: Catalog, source: Source) -> list[str]:
    where = f"{language}: {source.key!r}"
    msg = catalog.get(source.text if source.plural is None else (source.text, source.plural), source.key)
    if msg is None:
        return [f"{where} is missing"]
    forms = list(msg.string) if isinstance(msg.string, (tuple, list)) else [msg.string or ""]
    expected = placeholders(source.text) | placeholders(source.plural or "")
    found: list[str] = []
    if msg.fuzzy or not all(forms):
        found.append(f"{where} is fuzzy or untranslated")
    if source.plural is not None and len(forms) != catalog.num_plurals:
        found.append(f"{where} has {len(forms)} plural forms, {language} needs {catalog.num_plurals}")
    for form in forms:
        try:
            names = placeholders(form)
        except ValueError:
            found.append(f"{where} has a broken placeholder: {form!r}")
            continue
        # A plural form may leave out {count} ("two appointments"); every other placeholder must be there.
        if names - expected or (expected - {"count"}) - names:
            found.append(f"{where} placeholders {sorted(names)} differ from {sorted(expected)}")
    if (
        language != "en"
        and forms[0] == source.text
        and source.key not in SAME_EVERYWHERE
        and (language, source.key) not in SAME_WORD
    ):
        found.append(f"{where} is identical to the English")
    limit = next((n for prefix, n in TITLE_LIMITS.items() if source.key.startswith(prefix)), None)
    if limit is not None and any(len(form) > limit for form in forms):
        found.append(f"{where} is longer than WhatsApp's {limit} characters")
    return found


def problems() -> list[str]:
    """Every problem in every catalog; empty when all seven (and the script variants) are complete."""
    found = template_problems()
    for language in CATALOGS:
        if not po_path(language).exists():
            found.append(f"{language}: no catalog at {po_path(language)}")
            continue
        catalog = _read(language)
        known = {s.key for s in SOURCES}
        found += [
            f"{language}: {m.context!r} is not in the source"
            for m in catalog
            if m.id and m.context not in known
        ]
        found += [f"{language}: obsolete {key!r}" for key in catalog.obsolete]
        for source in SOURCES:
            found += message_problems(language, catalog, source)
    return found
