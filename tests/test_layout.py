"""The design's dependency rules, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("bot", "flows", "locales", "od_adapter")


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] in PACKAGES}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("od_adapter", ("bot", "flows", "locales")),
        ("flows", ("bot",)),
        ("locales", ("bot", "flows", "od_adapter")),
    ],
)
def test_dependencies_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in project_imports(path) if n.split(".")[0] in forbidden)
        for path in modules(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_sandbox_uses_only_the_shared_models_and_wire_format() -> None:
    allowed = ("od_adapter.models", "od_adapter.wire", "od_adapter.sandbox")
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in project_imports(path) if not n.startswith(allowed))
        for path in modules("od_adapter/sandbox")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_flows_knows_nothing_of_aiohttp_or_redis() -> None:
    for path in modules("flows"):
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in ("aiohttp", "redis")}, path


def test_the_design_card_layout_exists() -> None:
    for name in (
        "pyproject.toml",
        "README.md",
        "Procfile",
        "bot",
        "flows",
        "locales",
        "od_adapter",
        "tests",
        ".ci/run",
    ):
        assert (ROOT / name).exists(), name
