"""``python -m eval.status`` on scoring: per dimension scored / failed / pending, from the score records alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from eval.scoring.records import ScoreRecord, append_score, scores_path
from eval.status import main as status


def _rows(out: str) -> dict[str, str]:
    lines = out.splitlines()
    start = lines.index("scoring (scores/):")
    return dict(line.strip().split(": ", 1) for line in lines[start + 1 :])


def test_status_shows_each_dimension_scored_failed_and_pending(scored, tmp_path, capsys):
    run_dir, results = scored
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock", "report"))
    assert status([str(copy)]) == 0
    rows = _rows(capsys.readouterr().out)
    assert set(rows) == set(results["dimensions"])
    for dim, entry in results["dimensions"].items():
        assert rows[dim].split() == [str(entry["n_scored"]), "scored", "0", "failed", "0", "pending"], dim

    path = scores_path(copy, "aesthetic_quality", 0, 1)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n")  # two scored, four not yet
    third = json.loads(lines[2])
    append_score(path, ScoreRecord(**{**third, "status": "failed", "value": None, "error": "bad", "retryable": False}))
    launches = [json.loads(line) for line in (copy / "launches.jsonl").read_text().splitlines()]
    assert any("scorers" in line for line in launches)
    result = subprocess.run([sys.executable, "-m", "eval.status", str(copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows["aesthetic_quality"] == "     2 scored     1 failed      3 pending (1 failed for good)"

    # a run launched before the launches named their scorer ids: each dimension's latest line names it
    (copy / "launches.jsonl").write_text(
        "".join(json.dumps({k: v for k, v in line.items() if k != "scorers"}) + "\n" for line in launches)
    )
    assert status([str(copy)]) == 0
    assert _rows(capsys.readouterr().out) == rows
