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


SANDBOX_USERS = ("bot/sandbox/", "bot/settings.py")
"""Where the bot builds the demo: the only places (besides tests) that may import `od_adapter.sandbox`."""


def test_bot_and_flows_import_only_the_adapters_public_face() -> None:
    """`od_adapter` itself, never one of its modules (`from od_adapter import client` neither); the sandbox aside."""
    submodules = {p.stem for p in (ROOT / "od_adapter").iterdir() if p.suffix == ".py" or p.is_dir()} - {
        "__init__"
    }
    offenders: dict[str, list[str]] = {}
    for package in ("bot", "flows"):
        for path in modules(package):
            where = path.relative_to(ROOT).as_posix()
            may_use_sandbox = where.startswith(SANDBOX_USERS)
            found = [n for n in project_imports(path) if n.startswith("od_adapter.")]
            tree = ast.parse(path.read_text(), filename=str(path))
            found += [
                f"od_adapter.{alias.name}"
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "od_adapter" and node.level == 0
                for alias in node.names
                if alias.name in submodules
            ]
            bad = sorted(
                n for n in found if not (may_use_sandbox and n.split(".")[:2] == ["od_adapter", "sandbox"])
            )
            if bad:
                offenders[where] = bad
    assert offenders == {}


def test_the_office_never_reaches_through_the_booking_guard() -> None:
    """`OdOffice` maps; it asks the book and the patients, never the client or the cache behind the book."""
    tree = ast.parse((ROOT / "bot" / "conversation" / "office.py").read_text())
    reaches = [
        f"{node.value.attr}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr in ("appointments", "patients")
        and node.attr in ("od", "cache", "store", "idempotency")
    ]
    assert reaches == []


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


def _step_functions() -> dict[str, tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: dict[str, tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for path in sorted((ROOT / "flows" / "steps").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[f"{path.stem}.{node.name}"] = (path, node)
    return found


def _called_names(function: ast.AST) -> set[str]:
    """Functions called by name or through a step module (`offer.search(...)`), not methods of the ports."""
    step_modules = {p.stem for p in (ROOT / "flows" / "steps").glob("*.py")}
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in step_modules
            ):
                names.add(node.func.attr)
    return names


def _uses_office(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "office" for n in ast.walk(function))


def test_graph_steps_keep_to_their_kind_and_never_call_each_other() -> None:
    """Deciding steps never reach the office port (nor do the helpers they call); no step calls a step."""
    from flows.graph import DECIDING, READING, STEPS, WRITING

    functions = _step_functions()
    registered = {f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}": name for name, fn in STEPS.items()}
    assert set(registered) <= set(functions), "every step lives in flows/steps"
    step_names = {key.split(".")[1] for key in registered}
    for key, name in registered.items():
        path, function = functions[key]
        assert not (_called_names(function) & step_names), f"{name} calls another step"
        if name in READING or name in WRITING:
            continue
        assert name in DECIDING
        module = path.stem
        seen, todo = set(), [key]
        while todo:  # the helpers a deciding step calls, in its own module, transitively
            current = todo.pop()
            seen.add(current)
            assert not _uses_office(functions[current][1]), f"{name} reaches Open Dental through {current}"
            todo += [f"{module}.{n}" for n in _called_names(functions[current][1]) if f"{module}.{n}" in functions and f"{module}.{n}" not in seen]  # fmt: skip


def test_only_the_identify_step_looks_up_the_patients_on_a_phone() -> None:
    callers = [
        path.relative_to(ROOT).as_posix()
        for package in ("flows", "bot")
        for path in modules(package)
        if "patients_on_phone(" in path.read_text() and "def patients_on_phone" not in path.read_text()
    ]
    assert callers == ["flows/steps/identify.py"]


def _source_of(package: str) -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in modules(package)]


def test_only_the_composition_root_builds_a_redis_client() -> None:
    builders = ("Redis(", "Redis.from_url", "Redis.from_pool", "ConnectionPool.from_url", "ConnectionPool(")
    found = [
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path, text in _source_of(package)
        if any(b in text for b in builders)
    ]
    assert found == ["bot/wiring.py"]


def test_no_module_writes_the_process_environment() -> None:
    writes = ("os.environ[", "os.environ.setdefault", "os.environ.update", "os.putenv")
    found = [
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path, text in _source_of(package)
        if any(w in text.replace("os.environ.get(", "") for w in writes)
    ]
    assert found == []


def test_every_bot_app_key_is_in_bot_keys() -> None:
    found = [
        path.relative_to(ROOT).as_posix()
        for path, text in _source_of("bot")
        if ("web.AppKey(" in text or "web.RequestKey(" in text) and path.name != "keys.py"
    ]
    assert found == []
