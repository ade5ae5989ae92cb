"""The architecture stays as DESIGN.md draws it: import contracts, module sizes, documented surface."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from crisis.cli.parser import build_parser

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")


def test_import_contracts_hold() -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_knowledge_base_is_used_through_its_surface_only() -> None:
    """The contracts lint-imports checks above: the edges import `knowledge_base` itself (the
    KnowledgeBase and its value types), never a module under it; no runtime module imports the
    offline tooling."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    protected = {tuple(c["protected_modules"]): set(c["allowed_importers"])
                 for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "protected"}
    assert protected[("knowledge_base.*",)] == {"knowledge_base", "crisis.app", "crisis.cli.kb_commands"}
    assert protected[("knowledge_base.tooling",)] == {"crisis.cli.kb_commands"}


def test_no_module_over_800_lines() -> None:
    too_big = {str(p.relative_to(ROOT)): n for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
               if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800}
    assert not too_big


def test_nothing_reads_the_environment_outside_the_entry_points() -> None:
    allowed = {"crisis/cli/__init__.py"}
    offenders = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                 if re.search(r"os\.environ\b\s*[.\[)]|getenv\(", p.read_text(encoding="utf-8"))
                 and str(p.relative_to(ROOT)) not in allowed]
    assert not offenders


def test_every_cli_command_is_documented() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = []
    for name, sub in subparsers.choices.items():  # type: ignore[attr-defined]
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        commands = [f"crisis {name} {n}" for n in nested[0].choices] if nested else [f"crisis {name}"]
        missing += [c for c in commands if f"`{c}" not in docs]
    assert not missing, f"undocumented commands: {missing}"


def test_every_metric_is_documented() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    names = set()
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            names |= set(re.findall(r'(?:Counter|Histogram|Gauge|Summary)\(\s*"(\w+)"',
                                    path.read_text(encoding="utf-8")))
    missing = sorted(n for n in names if f"`{n}`" not in docs)
    assert not missing, f"undocumented metrics: {missing}"


def test_the_packages_type_check_strictly() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_job_module_is_preloaded_by_the_worker() -> None:
    """A job whose module the worker did not import costs each forked work horse the import."""
    from crisis.cli.processes import JOB_MODULES

    paths = {match for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
             for match in re.findall(r'"((?:\w+\.)+\w+_job)"', p.read_text(encoding="utf-8"))}
    assert paths, "no job found: the pattern is out of date"
    missing = sorted(path for path in paths if path.rsplit(".", 1)[0] not in JOB_MODULES)
    assert not missing, f"add their modules to crisis.cli.processes.JOB_MODULES: {missing}"


def test_no_circle_in_the_import_graph() -> None:
    """No module imports itself through others (type-checking imports aside): each layer can
    be read, tested and changed from the bottom up."""
    import grimp

    graph = grimp.build_graph("crisis", "channels", "knowledge_base", "static_site",
                              "monitoring", exclude_type_checking_imports=True)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in imports[module]:
            if state.get(imported) == 1:
                circle = path[path.index(imported):] + [imported]
                raise AssertionError(" -> ".join(circle))
            if imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(imports):
        if module not in state:
            visit(module, [module])
