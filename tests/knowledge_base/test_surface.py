"""The package's public surface (knowledge_base/__init__.py): every name loads, from where the
type checker was told it comes, and the pure modules load without Redis or the web stack."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import knowledge_base

INIT = Path(knowledge_base.__file__)


def _type_checking_imports() -> dict[str, str]:
    """Name -> module of the imports under `if TYPE_CHECKING:` (what mypy checks the edges with)."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    return {alias.name: str(node.module) for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}


def test_every_public_name_is_declared_once_and_loads_from_its_module() -> None:
    declared = _type_checking_imports()
    assert sorted(declared) == sorted(knowledge_base.__all__)
    for name, module in declared.items():
        assert getattr(knowledge_base, name) is getattr(importlib.import_module(module), name), name


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import() -> None:
    try:
        knowledge_base.ArticleStore  # internal: not part of the surface
    except AttributeError as err:
        assert "ArticleStore" in str(err)
    else:
        raise AssertionError("knowledge_base.ArticleStore should not be public")
    from knowledge_base import search  # a submodule, for the package's own tests and tooling
    assert search.__name__ == "knowledge_base.search"


def test_the_offline_tooling_loads_without_redis_or_the_web_stack() -> None:
    probe = ("import sys\nimport knowledge_base.tooling.calibration\n"
             "print(sorted(m for m in ('redis', 'aiohttp', 'rq', 'crisis.context') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            cwd=INIT.parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
