"""eval.compare: the paired bootstrap's error rates, refusals and labels, bad input, and the CLI against the pages."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from report_fixtures import RAW, rescore_videos, write_results
from scipy import stats

from eval.aggregate import paired_bootstrap
from eval.benchmarks import get_benchmark
from eval.compare import compare, main
from eval.report import build_report
from eval.report.compare_pages import page_name
from eval.report.load import load_results

REPO = Path(__file__).resolve().parents[1]
N_PROMPTS, NOISE, SHIFT, SEEDS = 40, 0.02, 0.0125, 200


def synthetic_pair(seed: int, shift: float) -> tuple[dict, dict]:
    """Per-prompt values of every VBench-I2V dimension for two runs: a shared prompt effect (difficulty, far
    larger than the noise, which pairing removes), independent noise, and ``shift`` on aesthetic_quality in B."""
    rng = np.random.default_rng(seed)
    a, b = {}, {}
    for dim in get_benchmark("vbench_i2v").dimensions:
        difficulty = rng.uniform(0.3, 0.7, N_PROMPTS)
        a[dim] = difficulty + rng.normal(0, NOISE, N_PROMPTS)
        b[dim] = difficulty + rng.normal(0, NOISE, N_PROMPTS) + (shift if dim == "aesthetic_quality" else 0.0)
    return a, b


def marked(shift: float) -> tuple[int, int]:
    """Over SEEDS seeds: how often aesthetic_quality's and Total's intervals exclude 0."""
    dim = total = 0
    for seed in range(SEEDS):
        a, b = synthetic_pair(seed, shift)
        result = paired_bootstrap(a, b, "vbench_i2v", seed=seed, check_range=False)
        dim += result.raw["aesthetic_quality"].low > 0 or result.raw["aesthetic_quality"].high < 0
        total += result.total.low > 0 or result.total.high < 0
    return dim, total


def tolerance(p: float) -> tuple[float, float]:
    """SEEDS x p, plus or minus 3 binomial standard deviations (a correct test falls outside 0.3% of the time)."""
    sd = 3 * (SEEDS * p * (1 - p)) ** 0.5
    return SEEDS * p - sd, SEEDS * p + sd


def test_a_null_pair_is_marked_at_the_tests_level_and_a_known_shift_at_its_power():
    """Expected rates: the percentile bootstrap of a mean of n = 40 paired differences has the spread of the
    plug-in standard error sqrt((n-1)/n) s/sqrt(n) and normal quantiles, while the mean is t-distributed with
    n-1 degrees of freedom; so a null pair is marked with P(|t_39| > 1.96 sqrt(39/40)) = 6.0% (not 5%), and a
    shift of 2.8 standard errors with the noncentral t's 80%. An unpaired test would mark the shift in about 10%
    (the prompts' difficulty, sd 0.115, would enter the standard error)."""
    crit = 1.96 * ((N_PROMPTS - 1) / N_PROMPTS) ** 0.5
    p_null = 2 * stats.t.sf(crit, N_PROMPTS - 1)
    p_shift = stats.nct.sf(crit, N_PROMPTS - 1, SHIFT / (NOISE * (2 / N_PROMPTS) ** 0.5))
    assert p_null == pytest.approx(0.060, abs=0.001) and p_shift == pytest.approx(0.80, abs=0.01)

    null_dim, null_total = marked(0.0)
    low, high = tolerance(p_null)
    assert low <= null_dim <= high and low <= null_total <= high, (null_dim, null_total, low, high)
    shift_dim, _ = marked(SHIFT)
    low, high = tolerance(p_shift)
    assert low <= shift_dim <= high, (shift_dim, low, high)


def test_paired_bootstrap_is_seeded_and_its_point_values_are_the_runs_means():
    a, b = synthetic_pair(0, SHIFT)
    first, again = (paired_bootstrap(a, b, "vbench_i2v", check_range=False) for _ in range(2))
    other = paired_bootstrap(a, b, "vbench_i2v", seed=1, check_range=False)
    assert first.raw == again.raw and first.total == again.total and first.raw != other.raw
    assert first.a.raw["aesthetic_quality"] == pytest.approx(np.mean(a["aesthetic_quality"]))
    assert first.b.total is not None and first.total.low < first.b.total - first.a.total < first.total.high


@pytest.fixture
def pair(tmp_path):
    """Two runs of one suite, 30 and 50 steps, 8 prompts each with its own per-video scores; B is better on
    aesthetic_quality by 10 points."""
    a = rescore_videos(write_results(tmp_path / "a", n_videos=8))
    b = write_results(tmp_path / "b", n_videos=8, generator={"num_inference_steps": 50})
    return a, rescore_videos(b, {"aesthetic_quality": 0.10})


def test_a_shift_is_marked_its_group_and_total_follow_and_settings_are_labelled(pair):
    c = compare(*map(load_results, pair))
    rows = {r.name: r for r in c.rows}
    assert rows["aesthetic_quality"].significant and rows["aesthetic_quality"].delta == pytest.approx(0.10, abs=0.03)
    assert rows["aesthetic_quality"].n_prompts == 8 and not rows["subject_consistency"].refused
    assert rows["quality"].delta > 0 and rows["total"].delta == pytest.approx(
        (rows["quality"].delta + rows["i2v"].delta) / 2
    )
    assert c.differs[0] == "num_inference_steps: 30 -> 50"
    assert (c.label_a, c.label_b) == ("Model A [num_inference_steps=30]", "Model A [num_inference_steps=50]")
    # imaging_quality's per-video values are 0-100; the comparison is in fractions, as the leaderboard's raw value
    assert rows["imaging_quality"].a == pytest.approx(RAW["imaging_quality"], abs=0.05)
    top = c.pairs["aesthetic_quality"]
    assert len(top) == 8 and abs(top[0].difference) >= abs(top[-1].difference)


def test_a_dimension_with_another_scorer_is_refused_with_its_groups(pair):
    a, b = pair
    data = json.loads(b.read_text())
    data["dimensions"]["dynamic_degree"]["scorer"] = "vbench==0.1.5;raft=other"
    data["dimensions"]["camera_motion"].update(complete=False, n_scored=1)
    b.write_text(json.dumps(data))
    rows = {r.name: r for r in compare(load_results(a), load_results(b)).rows}
    assert rows["dynamic_degree"].refused == "scored by different scorers: A s, B vbench==0.1.5;raft=other"
    assert rows["camera_motion"].refused == "not fully scored in B (1/8 videos)"
    assert rows["quality"].refused.startswith("needs dynamic_degree (scored by different scorers")
    assert rows["i2v"].refused == "needs camera_motion (not fully scored in B (1/8 videos))"
    assert rows["total"].refused == "needs i2v, quality" and rows["total"].delta is None
    assert not rows["aesthetic_quality"].refused


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eval.compare", *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_bad_input_gives_clear_errors(tmp_path, pair, capsys):
    a, b = pair
    other_suite = write_results(tmp_path / "t2v", benchmark="vbench")
    cases = {
        (a, tmp_path / "nowhere"): f"no results file at {tmp_path / 'nowhere'}; run the score and aggregate stages",
        (a, other_suite): "is on suite 'vbench_i2v' and",
    }
    data = json.loads(b.read_text())
    for video in data["videos"]:
        video["item_id"] = "other-" + video["item_id"]
    (tmp_path / "apart").mkdir()
    (tmp_path / "apart" / "results.json").write_text(json.dumps(data))
    cases[(a, tmp_path / "apart")] = "share no item of suite 'vbench_i2v'"
    data = json.loads(b.read_text())
    data["videos"][3]["prompt"] = "another prompt"
    (tmp_path / "edited").mkdir()
    (tmp_path / "edited" / "results.json").write_text(json.dumps(data))
    cases[(a, tmp_path / "edited")] = "different versions of suite 'vbench_i2v': 1 shared item(s) have another prompt"
    cases[(a, a)] = "is given twice"
    for runs, message in cases.items():
        assert main([str(r) for r in runs]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err, err
    with pytest.raises(SystemExit):
        main([str(a)])
    assert "give at least two runs" in capsys.readouterr().err


class Cells(HTMLParser):
    """Each row of the table ``table_id``: its ``data-name`` and its cells' ``data-value``s."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.rows = table_id, False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.inside = attrs.get("id") == self.table_id
        elif self.inside and tag == "tr" and "data-name" in attrs:
            self.rows.append((attrs["data-name"], []))
        elif self.inside and tag == "td" and self.rows:
            self.rows[-1][1].append(attrs.get("data-value"))


def page_rows(page: Path) -> dict[str, list[str]]:
    parser = Cells("compare")
    parser.feed(page.read_text())
    return dict(parser.rows)


def rows_of(cli: dict) -> dict[str, dict]:
    return {r["name"]: r for r in cli["rows"]}


def assert_cli_matches_page(cli: dict, page: Path) -> None:
    """The CLI's JSON and the page's cells (A, B, B - A, interval's low end, prompts, note) agree to the digit."""
    rows = page_rows(page)
    assert list(rows) == [r["name"] for r in cli["rows"]]
    for r in cli["rows"]:
        _, _, a, b, delta, low, prompts, note = rows[r["name"]]
        if r["refused"]:
            assert (a, b, delta, note) == ("", "", "", f"refused: {r['refused']}")
            continue
        expected = (100 * r["a"], 100 * r["b"], 100 * r["delta"], 100 * r["interval"][0])
        assert tuple(map(float, (a, b, delta, low))) == pytest.approx(expected, rel=1e-12)
        assert (note == "interval excludes 0") == r["significant"]
        assert prompts == (str(r["n_prompts"]) if r["kind"] == "dimension" else "")


def test_cli_and_pages_agree(pair, tmp_path, capsys):
    a, b = pair
    done = run_cli(a, b, "--json", "--html", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    out, pages = done.stdout.split("\ncompare page: ")
    (cli,) = json.loads(out)
    test = {"name": "paired percentile bootstrap over prompts", "resamples": 1000, "seed": 0, "level": 0.95}
    assert cli["test"] == test and cli["caution"].startswith("only 8 prompts for some dimension")
    assert f"Caution: {cli['caution']}." in Path(pages.strip()).read_text()
    assert_cli_matches_page(cli, Path(pages.strip()))
    # the report of the same runs holds the same page, linked from the leaderboard
    index = build_report([a, b], tmp_path / "report")
    name = page_name(compare(load_results(a), load_results(b)))
    assert Path(pages.strip()).name == name and f'href="{name}"' in index.read_text()
    assert_cli_matches_page(cli, index.parent / name)
    assert main([str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "  differs: num_inference_steps: 30 -> 50" in text and "test: paired percentile bootstrap" in text
    line = next(x for x in text.splitlines() if x.startswith("aesthetic_quality"))
    low, high = (f"{100 * x:+.2f}" for x in rows_of(cli)["aesthetic_quality"]["interval"])
    assert f"[{low}, {high}]" in line and line.rstrip().endswith("*       8")


def test_a_sweeps_compare_page_matches_the_cli_on_its_real_runs(step_sweep):
    """Two real tiny runs of the smoke suite (1 and 2 steps): the sweep's report compares them."""
    _, sweep = step_sweep
    runs = [json.loads(line)["run"] for line in (sweep / "runs.jsonl").read_text().splitlines()][1:]
    done = run_cli(*runs, "--json")
    assert done.returncode == 0, done.stderr
    (cli,) = json.loads(done.stdout)
    assert cli["differs"] == ["num_inference_steps: 1 -> 2"] and cli["items"] == {"shared": 3, "only_a": 0, "only_b": 0}
    page = sweep / "vbench_i2v" / page_name(compare(*map(load_results, runs)))
    assert_cli_matches_page(cli, page)
    rows = rows_of(cli)
    assert list(rows) == ["subject_consistency", "i2v", "quality", "total"]
    assert rows["subject_consistency"]["n_prompts"] == 3 and rows["total"]["refused"] == "needs i2v, quality"
