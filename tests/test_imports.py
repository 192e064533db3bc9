"""The shape of the code, read from its imports (parsed with ast, never executed): no module of
kiosk/, screens/ or office/ reaches itself through imports at any level of the file (inside functions
too: an import moved into a function to dodge a cycle is still a cycle), and the pure core never
imports Kivy or a web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "screens", "office")
NOT_IN_THE_CORE = ("kivy", "starlette", "jinja2", "fastapi", "flask", "django", "aiohttp", "uvicorn", "werkzeug",
                   "tornado", "bottle", "sanic", "quart", "litestar")


def module_files() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_names(path: Path, module: str) -> set[str]:
    """Every module name an import statement anywhere in the file names (relative ones resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from kiosk.ops import stats`
    return names


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Our modules and the modules of ours each imports (a package's __init__ counts as imported
    with any module inside it, as Python runs it first)."""
    graph = {}
    for module, path in files.items():
        targets = set()
        for name in imported_names(path, module):
            parts = name.split(".")
            targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in files)
        targets.discard(module)
        graph[module] = {target for target in targets if not module.startswith(target + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_reaches_itself_through_imports():
    found = cycles(import_graph(module_files()))
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(group) for group in found)


def test_the_cycle_finder_finds_a_cycle_inside_functions(tmp_path):
    """The check can fail: two modules importing each other inside functions are one cycle."""
    (tmp_path / "a.py").write_text("def f():\n    from b import g\n")
    (tmp_path / "b.py").write_text("def g():\n    import a\n")
    (tmp_path / "c.py").write_text("import a\n")
    files = {name: tmp_path / f"{name}.py" for name in ("a", "b", "c")}
    assert cycles(import_graph(files)) == [["a", "b"]]


@pytest.mark.parametrize("module", sorted(name for name in module_files() if name.split(".")[0] == "kiosk"))
def test_the_core_imports_no_kivy_and_no_web_framework(module):
    names = imported_names(module_files()[module], module)
    assert not [name for name in names if name.split(".")[0] in NOT_IN_THE_CORE]


def test_the_walk_sees_every_package():
    files = module_files()
    for package in ("kiosk.feed", "kiosk.play", "kiosk.delivery", "kiosk.ops", "kiosk.fleet", "screens", "office"):
        assert any(name.startswith(package + ".") for name in files), package
