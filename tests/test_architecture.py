"""The folder tree is the architecture: imports run one way, with no circles (type-only ones included).

Order, top to bottom: terminal/playground → serve → slack → watch → sessions → blocks → policy/store →
the shared modules of ``bot`` → ``checks``. Inside ``checks``: engine/scenarios/prefetch → explain →
rules → crypto/salesforce → model/connections.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT_LAYERS = {"terminal": 0, "playground": 0, "serve": 1, "slack": 2, "watch": 3, "sessions": 4, "blocks": 5,
              "policy": 6, "store": 7}
SHARED = 8  # bot/*.py
CHECKS = 9
MAX_SHARED_MODULES = 8


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("bot", "checks"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                full = f"{mod}.{alias.name}"
                deps.add(full if full in modules else mod)
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names)
    return {d for d in deps if d in modules and d != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> tuple[int, str]:
    parts = module.split(".")
    if parts[0] == "checks":
        return CHECKS, "checks"
    if len(parts) > 1 and parts[1] in BOT_LAYERS:
        return BOT_LAYERS[parts[1]], parts[1]
    return SHARED, "bot"


def test_bot_packages_import_only_downwards() -> None:
    upward = []
    for module, deps in _graph().items():
        if module == "bot.__main__":  # the entry point: ``python -m bot`` is the command line
            continue
        rank, package = _layer(module)
        for dep in deps:
            dep_rank, dep_package = _layer(dep)
            if dep_package != package and dep_rank < rank:
                upward.append(f"{module} -> {dep}")
            if module.startswith("checks") and dep.startswith("bot"):
                upward.append(f"{module} -> {dep}")
    assert not upward, upward


def test_no_import_circles_between_modules() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            # a package's __init__ re-exporting its own modules is not a circle between modules
            if len(component) > 1 and not all(c.startswith(v) for c in component):
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_no_circles_between_checks_packages() -> None:
    def package(m: str) -> str:
        parts = m.split(".")
        return ".".join(parts[:2])

    edges: dict[str, set[str]] = {}
    for module, deps in _graph().items():
        if module.startswith("checks"):
            for dep in deps:
                if package(dep) != package(module):
                    edges.setdefault(package(module), set()).add(package(dep))
    for a, targets in edges.items():
        for b in targets:
            assert a not in edges.get(b, set()), f"{a} <-> {b}"


def test_bot_keeps_few_modules_at_its_top_and_each_package_says_what_it_holds() -> None:
    top = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(top) <= MAX_SHARED_MODULES + 1, top  # + __init__.py
    for package in [*BOT_LAYERS, "blocks"]:
        init = ROOT / "bot" / package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 40, package


def test_tests_are_named_by_behaviour_not_by_issue() -> None:
    import re
    named = [p.name for p in (ROOT / "tests").rglob("test_*.py") if re.search(r"issue\d", p.name)]
    assert not named, named
