"""`crisis kb ...` in a real subprocess: import, export, ask (text and JSON), eval, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from crisis.context import Context
from knowledge_base import KnowledgeBase
from knowledge_base.tooling.calibration_sets import DATA
from tests.conftest import CELL
from tests.support.polling import until




def run(env: dict[str, str], *args: str, stdin: str = "", cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crisis", *args], env={**env, "PATH": "/usr/bin:/bin"},
                          input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> bool:
    last = result.stderr.strip().splitlines()[-1]
    return result.returncode == 1 and last.startswith("crisis: error: ") and fragment in last \
        and "Traceback" not in result.stderr


def test_import_ask_eval_export(env: dict[str, str], tmp_path: Path) -> None:
    imported = run(env, "kb", "import", str(DATA / "kb-inondation.jsonl"), cwd=tmp_path)
    assert imported.returncode == 0 and "52 created" in imported.stderr, imported.stderr
    asked = run(env, "kb", "ask", "kel route coupee", cwd=tmp_path)
    assert asked.returncode == 0 and asked.stdout.startswith("routes-coupees (confiance 0.9")
    lines = run(env, "kb", "ask", "--json", stdin="kel route coupee\n\nbonjour\n🌊🌊\nlol ?\n", cwd=tmp_path)
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["answer_id"] for r in rows] == ["routes-coupees", None, None, None]
    assert all(set(r) == {"question", "answer_id", "confidence", "candidates"} for r in rows)
    assert rows[0]["candidates"][0] == {"id": "routes-coupees", "score": rows[0]["candidates"][0]["score"]}
    # Without --lang, an English question is searched in English, as an SMS would be.
    english = run(env, "kb", "ask", "--json", "is the tap water safe to drink?", cwd=tmp_path)
    assert json.loads(english.stdout)["answer_id"] == "drinking-water-en"
    report = run(env, "kb", "eval", str(DATA / "kb-eval-inondation.jsonl"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "precision@1 on answerable" in report.stdout and "bm25" in report.stdout
    exported = run(env, "kb", "export", cwd=tmp_path)
    assert len(exported.stdout.splitlines()) == 52
    (tmp_path / "again.jsonl").write_text(exported.stdout, encoding="utf-8")
    again = run(env, "kb", "import", str(tmp_path / "again.jsonl"), cwd=tmp_path)
    assert "52 unchanged" in again.stderr


def test_user_errors_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "answer": "r"}\n{"id": "B!", "question": "q"}\n',
                   encoding="utf-8")
    assert one_line_error(run(env, "kb", "import", str(bad), cwd=tmp_path), "bad.jsonl: line 2:")
    assert run(env, "kb", "export", cwd=tmp_path).stdout == ""  # nothing half-imported
    assert one_line_error(run(env, "kb", "import", "/nonexistent", cwd=tmp_path), "no file or directory")
    assert one_line_error(run(env, "kb", "ask", "", cwd=tmp_path), "question is empty")
    assert one_line_error(run(env, "kb", "ask", "x" * 10_000, cwd=tmp_path), "longer than 2000")
    assert one_line_error(run(env, "kb", "ask", stdin="ok\n" + "y" * 3000 + "\n", cwd=tmp_path), "line 2:")
    assert one_line_error(run(env, "kb", "eval", str(DATA / "kb-eval-inondation.jsonl"), cwd=tmp_path),
                          "no published public article")
    assert run(env, "kb", "ask", "--lang", "de", "x", cwd=tmp_path).returncode == 2


async def test_activation_brings_the_starter_articles(client: Any, ctx: Context,
                                                      knowledge: KnowledgeBase) -> None:
    """The web process's subscription imports a scenario's starter articles at activation."""
    from crisis.activation import activate_scenario
    await activate_scenario(ctx.crises, ctx.publications, "canicule", areas="13", level=1, actor=CELL)
    store = knowledge.store
    ids = await until(store.ids, ok=lambda found: len(found) == 8, timeout=10.0)
    assert len(ids) == 8 and all(i.startswith("canicule") for i in ids)
    assert len(await store.published()) == 8
