"""The layout in docs/architecture.md, checked: import contracts, no cycles, one owner of invoices.

Imports inside functions count (they are how cycles used to hide): at most a small budget of
them, each with the reason on its line or the line above.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "stores", "audit", "invoicing", "sandbox")
IN_FUNCTION_BUDGET = 25
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name: str, path: Path):
    """(line, target module, inside a function) for each import of a project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in child.names]
            else:
                yield from visit(child, inner)
                continue
            for target in targets:
                if target.split(".")[0] in PACKAGES and (resolved := _resolve(target)) and resolved != name:
                    yield child.lineno, resolved, in_function

    yield from visit(tree, False)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for _line, target, _inner in _imports(name, path):
            graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_it_keeps_the_import_contracts():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_it_has_no_import_cycle_counting_imports_inside_functions():
    assert _cycles(_graph()) == []


def test_it_finds_a_cycle_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_it_keeps_imports_inside_functions_few_and_explained():
    inner, unexplained = [], []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, target, in_function in _imports(name, path):
            if not in_function:
                continue
            inner.append(f"{name}:{line} → {target}")
            here, above = lines[line - 1], lines[line - 2].strip() if line > 1 else ""
            if "#" not in here and not above.startswith("#"):
                unexplained.append(f"{path.relative_to(ROOT)}:{line} imports {target} inside a function, no reason given")
    assert len(inner) <= IN_FUNCTION_BUDGET, "\n".join(inner)
    assert not unexplained, "\n".join(unexplained)


def test_it_hides_no_missing_piece():
    offenders = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = ast.unparse(node.type)
                if "ImportError" in caught or "NoReverseMatch" in caught or "ModuleNotFoundError" in caught:
                    offenders.append(f"{name}:{node.lineno} catches {caught}")
            if isinstance(node, ast.Attribute) and node.attr in ("import_module", "find_spec"):
                offenders.append(f"{name}:{node.lineno} probes for a module ({node.attr})")
    assert not offenders, "\n".join(offenders)


def test_only_the_issuing_actions_create_invoices():
    creators = set()
    for name, path in MODULES.items():
        if name.startswith("invoicing.models") or name.startswith("invoicing.migrations"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = ast.unparse(node.func)
            if func == "Invoice" or func.startswith("Invoice.objects.") and func.rsplit(".", 1)[1] in (
                    "create", "bulk_create", "get_or_create", "update_or_create"):
                creators.add(name)
    assert creators == {"invoicing.issuing.actions"}


def test_no_module_is_over_800_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_a_row_lock_never_locks_the_rows_it_joins():
    """``select_for_update()`` with ``select_related`` locks every joined row (the company and the
    store too) unless ``of=("self",)``: that is how 20 refunds deadlocked on stores_company (issue 13)."""
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            chain = ast.unparse(node)
            if node.func.attr in ("get", "filter", "first", "exclude", "order_by") and ".select_for_update(" in chain \
                    and ".select_related(" in chain:
                locks = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                         and n.func.attr == "select_for_update"]
                if any(not any(k.arg == "of" for k in lock.keywords) for lock in locks):
                    offenders.append(f"{name}:{node.lineno}")
    assert sorted(set(offenders)) == []
