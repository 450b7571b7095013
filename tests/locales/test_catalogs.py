"""The seven catalogs: complete, translated, placeholders intact, plural forms right, titles within WhatsApp's
limits, dates in each language's own form, and Arabic anchored right to left."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.conversation.render import render
from flows.replies import Choice, Reply, text
from locales import checks
from locales.catalog import FSI, LANGUAGES, PDI, RLM, message, po_path, when
from locales.messages import SOURCES

ROOT = Path(__file__).parents[2]


def test_every_catalog_is_complete_and_correct() -> None:
    assert checks.problems() == []


def test_the_template_is_what_pybabel_extracts_from_the_source(tmp_path: Path) -> None:
    """The catalogs are never edited apart from the source: extracting again gives the same messages."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        ["pybabel", "extract", "--no-default-keywords", "-k", "N_:1c,2", "-k", "NP_:1c,2,3",
         "-o", str(extracted), str(ROOT / "locales" / "messages.py")],
        check=True, capture_output=True,
    )  # fmt: skip
    with extracted.open("rb") as fresh, (ROOT / "locales" / "messages.pot").open("rb") as stored:
        assert {(m.context, str(m.id)) for m in read_po(fresh)} == {
            (m.context, str(m.id)) for m in read_po(stored)
        }


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda m: setattr(m, "string", ""), "untranslated"),
        (lambda m: setattr(m, "string", m.string.replace("{when}", "{wen}")), "placeholders"),
        (lambda m: setattr(m, "string", m.string.replace("{when}", "{when")), "broken placeholder"),
        (lambda m: setattr(m, "string", m.id), "identical to the English"),
    ],
)
def test_the_check_catches_a_broken_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mutate, complaint
) -> None:  # type: ignore[no-untyped-def]
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True)
        shutil.copy(po_path(language), target)
    shutil.copy(ROOT / "locales" / "messages.pot", tmp_path / "messages.pot")
    with (tmp_path / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="fr")
    mutate(catalog.get("Your appointment on {when} is cancelled. Write any time to book again.", "cancelled"))
    with (tmp_path / "fr" / "LC_MESSAGES" / "messages.po").open("wb") as f:
        write_po(f, catalog)
    monkeypatch.setattr(checks, "LOCALES_DIR", tmp_path)
    monkeypatch.setattr(checks, "po_path", lambda lang: tmp_path / lang / "LC_MESSAGES" / "messages.po")
    assert any("fr: 'cancelled'" in p and complaint in p for p in checks.problems())


def test_arabic_has_six_plural_forms_and_uses_them() -> None:
    forms = {n: message("offer.list", "ar", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) == 6
    assert "{count}" not in forms[2] and "موعدين" in forms[2]
    assert message("offer.list", "en", 1).startswith("Here is the time") and "{count}" in message(
        "offer.list", "en", 4
    )


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "Tuesday 3 March, 10:30"),
        ("es", "martes 3 de marzo, 10:30"),
        ("pt", "terça-feira, 3 de março às 10:30"),
        ("fr", "mardi 3 mars à 10:30"),
        ("de", "Dienstag, 3. März, 10:30 Uhr"),
        ("ar", "الثلاثاء 3 مارس، 10:30"),
        ("hi", "मंगलवार, 3 मार्च, 10:30"),
    ],
)
def test_dates_read_the_way_each_language_writes_them(language: str, written: str) -> None:
    assert when(datetime(2026, 3, 3, 10, 30), language) == written


@pytest.mark.parametrize("language", LANGUAGES)
def test_interactive_titles_fit_every_day_of_the_year(language: str) -> None:
    """List rows carry a time (24 characters) and buttons a word (20): no language needs them cut."""
    day = datetime(2026, 1, 1, 10, 30)
    rows = [
        Choice(id=f"opt:{n}", key="row.option", params={"when": day + timedelta(days=n)}) for n in range(366)
    ]
    buttons = [Choice(id=s.key, key=s.key) for s in SOURCES if s.key.startswith("button.")]
    for n in range(0, len(rows), 10):
        [listed] = render(
            [Reply(key="offer.list", params={"count": 10}, rows=rows[n : n + 10])], language, "1"
        )
        titles = [r["title"] for r in listed["interactive"]["action"]["sections"][0]["rows"]]
        assert all(len(t) <= 24 and not t.endswith("…") for t in titles), titles
    for n in range(0, len(buttons), 3):
        [sent] = render(
            [Reply(key="cancel.ask", params={"when": day}, buttons=buttons[n : n + 3])], language, "1"
        )
        titles = [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]
        assert all(not t.endswith("…") for t in titles), titles


def test_arabic_replies_read_right_to_left_with_values_isolated() -> None:
    [sent] = render([text("booked", when=datetime(2026, 3, 3, 10, 30), provider="Dr. Lee")], "ar", "1")
    body = sent["text"]["body"]
    assert body.startswith(RLM)
    assert f"{FSI}الثلاثاء 3 مارس، 10:30{PDI}" in body and f"{FSI}Dr. Lee{PDI}" in body
    [english] = render([text("booked", when=datetime(2026, 3, 3, 10, 30), provider="Dr. Lee")], "en", "1")
    assert RLM not in english["text"]["body"] and FSI not in english["text"]["body"]


def test_every_layer_knows_the_same_seven_languages() -> None:
    """Configuration, catalogs and understanding each name the languages (the layers may not import each other)."""
    from bot.practices import LANGUAGES as CONFIGURABLE
    from flows.nlu.lexicon import LEXICONS

    assert set(CONFIGURABLE) == set(LANGUAGES) == set(LEXICONS)
