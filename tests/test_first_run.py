"""`pip install -e .` alone gives a working centre: no runtime module needs a test extra.

`.ci/run` proves it for real in a venv without extras (scripts/smoke-first-run). This test
catches the same mistake in any test run, cheaply: it hides every distribution that only the
`test` extra brings, then imports every module of every package.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]).lower()


def _test_only_modules() -> list[str]:
    """Top-level modules of the distributions the test extra adds (and theirs), not the runtime's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}

    def closure(names: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                requires = md.requires(name) or []
            except md.PackageNotFoundError:
                continue
            todo += [_name(r) for r in requires if "extra ==" not in r]
        return seen

    test_only = closure({_name(r) for r in project["optional-dependencies"]["test"]}) \
        - closure(runtime)
    modules = [module for module, dists in md.packages_distributions().items()
               if any(_name(d) in test_only for d in dists)]
    return sorted(m for m in modules if m.isidentifier())


def test_every_module_imports_with_the_test_extras_hidden() -> None:
    hidden = _test_only_modules()
    assert "bm25s" not in hidden and "pytest" in hidden and "playwright" in hidden
    probe = f"""
import importlib, importlib.abc, pkgutil, sys
HIDDEN = set({hidden!r})
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}} (a test extra)")
        return None
sys.meta_path.insert(0, Hide())
failed = []
for package_name in {PACKAGES!r}:
    package = importlib.import_module(package_name)
    for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
        if info.name.endswith(".__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as err:
            failed.append(f"{{info.name}}: {{type(err).__name__}}: {{err}}")
print("\\n".join(failed) or "ALL IMPORTED")
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.stdout.strip() == "ALL IMPORTED", result.stdout + result.stderr
