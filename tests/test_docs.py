"""The docs keep up with the code: every setting and practices-file field is documented, every link resolves."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import AliasChoices, BaseModel

# The root of the practices file. Its models may move (say to bot/practices.py); only this import follows them.
from bot.practices import PracticesFile as PracticesRoot
from bot.settings import Settings

ROOT = Path(__file__).parents[1]
OPERATIONS = ROOT / "docs" / "operations.md"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def env_names(settings: type[BaseModel]) -> Iterator[str]:
    """The environment variable each setting is read from (its upper-case alias, or its own name)."""
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = [choice for choice in alias.choices if isinstance(choice, str) and choice.isupper()]
        elif isinstance(alias, str):
            names = [alias]
        else:
            names = [name.upper()]
        yield from names


def models_in(annotation: object) -> Iterator[tuple[type[BaseModel], bool]]:
    """The pydantic models an annotation holds, each with whether it sits in a list (`[]` in the docs)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    in_list = typing.get_origin(annotation) in (list, tuple, set, frozenset)
    for arg in typing.get_args(annotation):
        for model, nested_list in models_in(arg):
            yield model, in_list or nested_list


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field of a model and of the models inside it, as the docs write it: `booking.appointment_types[].name`.

    A table of settings (`booking`) is documented by its fields; a list of tables also by itself (`...[]`).
    """
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        children = list(models_in(field.annotation))
        if not children:
            yield path
        for child, in_list in children:
            if in_list:
                yield f"{path}[]"
            yield from field_paths(child, f"{path}[]." if in_list else f"{path}.")


def practices_file_paths() -> Iterator[str]:
    """The root's fields are the file's tables (`[[practices]]`); the docs write each entry's fields from there."""
    for name, field in PracticesRoot.model_fields.items():
        children = list(models_in(field.annotation))
        if not children:
            yield name
        for child, in_list in children:
            yield f"[[{name}]]" if in_list else f"[{name}]"
            yield from field_paths(child)


def documented(path: Path) -> set[str]:
    """Everything the page writes as inline code (outside code blocks)."""
    return set(re.findall(r"`([^`\n]+)`", FENCE.sub("", path.read_text(encoding="utf-8"))))


def test_every_setting_is_documented_in_operations() -> None:
    names = list(env_names(Settings))
    assert len(names) >= 20  # the walk found the settings
    assert sorted(set(names) - documented(OPERATIONS)) == []


def test_every_practices_file_field_is_documented_in_operations() -> None:
    paths = list(practices_file_paths())
    assert "booking.appointment_types[].name" in paths and "handoff.hours.days" in paths
    assert sorted(set(paths) - documented(OPERATIONS)) == []


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def links() -> Iterator[tuple[Path, str]]:
    for page in PAGES:
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
            if not re.match(r"[a-z]+:", target):  # http:, https:, mailto: are not ours to check
                yield page, target


@pytest.mark.parametrize(("page", "target"), list(links()), ids=lambda value: str(value))
def test_every_relative_link_resolves(page: Path, target: str) -> None:
    file, _, anchor = target.partition("#")
    resolved = (page.parent / file).resolve() if file else page
    assert resolved.is_relative_to(ROOT), f"{page.name}: {target} points outside the repository"
    assert resolved.exists(), f"{page.name}: {target} does not exist"
    if anchor and resolved.suffix == ".md":
        assert anchor in anchors(resolved), f"{page.name}: no heading #{anchor} in {resolved.name}"


def test_the_link_check_sees_the_readmes_links() -> None:
    assert "docs/operations.md" in {target for page, target in links() if page.name == "README.md"}


def test_the_graph_drawing_in_the_architecture_page_is_the_code() -> None:
    from flows.graph import build_graph

    page = (ROOT / "docs" / "architecture.md").read_text()
    drawn = page.split("## The conversation graph", 1)[1].split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert drawn == build_graph().get_graph().draw_mermaid().rstrip("\n"), "rerun `python -m flows draw`"
