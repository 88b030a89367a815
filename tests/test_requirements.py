"""The product runs from requirements.txt alone (./run installs nothing else): no module outside
the tests may import a distribution that only requirements-dev.txt brings. This is the fast
check; .ci/run's production smoke proves it again in a virtualenv built from requirements.txt."""

import ast
import re
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def product_files():
    # The production smoke runs in the virtualenv of requirements.txt alone, so it counts as product.
    yield ROOT / "tests" / "prod_smoke.py"
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        if rel[0] in ("tests", ".venv", ".ci-venv", "var", "staticfiles", "node_modules") or rel[0].startswith("."):
            continue
        yield path


def test_no_product_module_imports_a_dev_only_distribution():
    dev_only = _names(ROOT / "requirements-dev.txt") - _names(ROOT / "requirements.txt")
    assert "pytest" in dev_only  # the parsing works
    modules = packages_distributions()
    offenders = []
    for path in product_files():
        for module in _imported_top_modules(path):
            dists = {d.lower().replace("_", "-") for d in modules.get(module, [])}
            if dists & dev_only:
                offenders.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(dists & dev_only))})")
    assert not offenders, "只在 requirements-dev.txt 中的依赖被产品代码导入：\n" + "\n".join(offenders)


def test_the_check_sees_a_dev_only_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from pypdf import PdfWriter\n    import playwright.sync_api\n")
    assert {"pypdf", "playwright"} <= _imported_top_modules(sample)


def test_every_third_party_module_the_product_imports_is_named_in_requirements():
    """A module that only arrives as another package's dependency (urllib3 under requests) can
    change or vanish with that package's next release: what the product imports, it pins."""
    import sys

    named = _names(ROOT / "requirements.txt")
    ours = {"config", "stores", "audit", "invoicing", "sandbox", "bench", "manage"}
    modules = packages_distributions()
    offenders = []
    for path in product_files():
        for module in _imported_top_modules(path):
            if module in ours or module in sys.stdlib_module_names or module == "__future__":
                continue
            dists = {d.lower().replace("_", "-") for d in modules.get(module, [])}
            if not dists & named:
                offenders.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(dists)) or '?'})")
    assert not offenders, "产品代码导入了 requirements.txt 未列出的包：\n" + "\n".join(sorted(set(offenders)))
