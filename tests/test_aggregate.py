"""eval.aggregate: golden scores from published figures, partial results, errors, bootstrap, CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval.aggregate import AggregateError, aggregate, bootstrap, mean, percent
from eval.benchmarks import BENCHMARKS, UnknownBenchmark
from eval.vbench_constants import DIMENSIONS

REPO = Path(__file__).resolve().parent.parent

# CogVideoX-5B on the VBench leaderboard (/work/shared/reference/published_vbench.md), in order.
T2V_ORDER = (
    "subject_consistency background_consistency temporal_flickering motion_smoothness "
    "dynamic_degree aesthetic_quality imaging_quality object_class multiple_objects "
    "human_action color spatial_relationship scene appearance_style temporal_style "
    "overall_consistency"
).split()
COGVIDEOX_5B = dict(
    zip(
        T2V_ORDER,
        (
            v / 100
            for v in (
                96.23,
                96.52,
                98.66,
                96.92,
                70.97,
                61.98,
                62.90,
                85.23,
                62.11,
                99.40,
                82.81,
                66.35,
                53.20,
                24.91,
                25.38,
                27.59,
            )
        ),
    )
)

# DynamiCrafter-1024 on VBench-I2V (same file).
DYNAMICRAFTER_1024 = {
    k: v / 100
    for k, v in {
        "camera_motion": 35.44,
        "i2v_subject": 98.17,
        "i2v_background": 98.60,
        "subject_consistency": 95.69,
        "background_consistency": 97.38,
        "motion_smoothness": 97.38,
        "dynamic_degree": 47.40,
        "aesthetic_quality": 66.46,
        "imaging_quality": 69.34,
        "temporal_flickering": 97.63,
    }.items()
}


def test_constants_table_matches_vbench():
    assert (DIMENSIONS["motion_smoothness"].min, DIMENSIONS["motion_smoothness"].max) == (0.706, 0.9975)
    assert DIMENSIONS["dynamic_degree"].weight == 0.5
    assert DIMENSIONS["camera_motion"].weight == 0.1
    assert sum(DIMENSIONS[d].weight for d in BENCHMARKS["vbench"].groups["quality"]) == 6.5
    assert sum(DIMENSIONS[d].weight for d in BENCHMARKS["vbench_i2v"].groups["quality"]) == 5.5
    assert sum(DIMENSIONS[d].weight for d in BENCHMARKS["vbench_i2v"].groups["i2v"]) == pytest.approx(2.1)
    assert "temporal_flickering" not in BENCHMARKS["vbench_i2v"].scored


def test_cogvideox_5b_golden():
    result = aggregate(COGVIDEOX_5B, "vbench")
    assert result.complete and result.missing == ()
    assert percent(result.total) == pytest.approx(81.61, abs=0.02)
    assert percent(result.groups["quality"]) == pytest.approx(82.76, abs=0.02)
    assert percent(result.groups["semantic"]) == pytest.approx(77.04, abs=0.02)
    assert result.raw["scene"] == pytest.approx(0.532)
    assert result.normalised["scene"] == pytest.approx(0.532 / 0.8222)


def test_dynamicrafter_1024_golden():
    result = aggregate(DYNAMICRAFTER_1024, "vbench_i2v")
    assert result.formula == "vbench_i2v_2024-12-31"
    assert percent(result.total) == pytest.approx(87.75, abs=0.02)
    assert percent(result.groups["quality"]) == pytest.approx(80.50, abs=0.02)
    assert percent(result.groups["i2v"]) == pytest.approx(95.00, abs=0.02)


def test_temporal_flickering_is_reported_but_not_scored_in_i2v():
    without = {k: v for k, v in DYNAMICRAFTER_1024.items() if k != "temporal_flickering"}
    result = aggregate(without, "vbench_i2v")
    assert result.complete
    assert result.raw["temporal_flickering"] is None
    assert result.total == aggregate(DYNAMICRAFTER_1024, "vbench_i2v").total


def test_normalisation_is_not_clipped():
    result = aggregate({"subject_consistency": 0.1, "motion_smoothness": 0.999}, "vbench")
    assert result.normalised["subject_consistency"] == pytest.approx((0.1 - 0.1462) / 0.8538)
    assert result.normalised["subject_consistency"] < 0
    assert result.normalised["motion_smoothness"] > 1


@pytest.mark.parametrize("how", ["absent", "none"])
def test_missing_dimension_gives_partial_result_not_zero(how):
    raw = dict(COGVIDEOX_5B)
    if how == "absent":
        del raw["color"]
    else:
        raw["color"] = None
    result = aggregate(raw, "vbench")
    assert not result.complete
    assert result.missing == ("color",)
    assert result.raw["color"] is None and result.normalised["color"] is None
    assert result.groups["semantic"] is None
    assert result.total is None
    assert percent(result.groups["quality"]) == pytest.approx(82.76, abs=0.02)
    assert result.to_json()["complete"] is False


def test_unknown_dimension_lists_known_ones():
    with pytest.raises(AggregateError) as err:
        aggregate({**COGVIDEOX_5B, "colour": 0.8}, "vbench")
    message = str(err.value)
    assert "'colour'" in message and "subject_consistency" in message and "overall_consistency" in message
    with pytest.raises(AggregateError, match="camera_motion"):
        aggregate({"camera_motion": 0.3}, "vbench")


def test_unknown_benchmark():
    with pytest.raises(UnknownBenchmark, match="vbench_i2v"):
        aggregate({}, "vbench2")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_raw_names_the_dimension(bad):
    with pytest.raises(AggregateError, match="'aesthetic_quality'"):
        aggregate({**COGVIDEOX_5B, "aesthetic_quality": bad}, "vbench")


@pytest.mark.parametrize("bad, hint", [(96.23, "0.9623"), ("0.9", "not a number"), (True, "not a number")])
def test_percent_or_non_numbers_are_refused(bad, hint):
    with pytest.raises(AggregateError, match=hint):
        aggregate({"subject_consistency": bad}, "vbench")


def _per_prompt(seed: int = 1, n: int = 400, sd: float = 0.05) -> dict[str, list[float]]:
    """Synthetic per-prompt values around CogVideoX-5B's, a different prompt count per dim."""
    rng = np.random.default_rng(seed)
    return {d: list(np.clip(rng.normal(v, sd, n + 7 * i), 0, 1)) for i, (d, v) in enumerate(COGVIDEOX_5B.items())}


def test_bootstrap_is_deterministic_and_seeded():
    records = _per_prompt()
    a = bootstrap(records, "vbench", n_resamples=200)
    b = bootstrap(records, "vbench", n_resamples=200)
    c = bootstrap(records, "vbench", n_resamples=200, seed=1)
    assert a == b
    assert a.total != c.total
    assert (a.seed, a.n_resamples, a.level) == (0, 200, 0.95)


def test_bootstrap_intervals_contain_point_and_have_the_expected_width():
    records = _per_prompt()
    result = bootstrap(records, "vbench")
    assert result.point == aggregate({d: mean(r) for d, r in records.items()}, "vbench")
    for d, ci in result.raw.items():
        assert ci.low <= result.point.raw[d] <= ci.high
    for g, ci in result.groups.items():
        assert ci.low <= result.point.groups[g] <= ci.high
    assert result.total.low <= result.point.total <= result.total.high
    # Mean of n values with sd s: the 95% interval is about 2 * 1.96 * s / sqrt(n) wide.
    width = result.raw["subject_consistency"].high - result.raw["subject_consistency"].low
    expected = 2 * 1.96 * np.std(records["subject_consistency"]) / np.sqrt(400)
    assert width == pytest.approx(expected, rel=0.15)


def test_single_prompt_dimension_has_zero_width_interval():
    records = {**_per_prompt(), "color": [0.8]}
    result = bootstrap(records, "vbench", n_resamples=100)
    assert result.raw["color"].low == result.raw["color"].high == pytest.approx(0.8)
    assert result.raw["object_class"].high > result.raw["object_class"].low


def test_bootstrap_missing_dimension_has_no_group_or_total_interval():
    records = _per_prompt()
    del records["human_action"]
    result = bootstrap(records, "vbench", n_resamples=50)
    assert result.point.missing == ("human_action",)
    assert result.groups["semantic"] is None and result.total is None
    assert result.groups["quality"] is not None


def test_bootstrap_custom_reducer_on_records():
    # Records as (hits, pairs): the raw value is the pair-weighted sum, not a mean of ratios.
    records = {"multiple_objects": [(1, 1), (0, 3), (2, 4)]}

    def pairs(recs):
        return sum(h for h, _ in recs) / sum(n for _, n in recs)

    result = bootstrap(records, "vbench", reducers={"multiple_objects": pairs}, n_resamples=50)
    assert result.point.raw["multiple_objects"] == pytest.approx(3 / 8)
    with pytest.raises(AggregateError, match="'color'"):
        bootstrap(records, "vbench", reducers={"color": pairs})
    with pytest.raises(AggregateError, match="'multiple_objects'.*reducer"):
        bootstrap(records, "vbench")


def test_bootstrap_refuses_empty_records():
    with pytest.raises(AggregateError, match="'scene'"):
        bootstrap({"scene": []}, "vbench")


def _cli(tmp_path: Path, payload, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "raw.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return subprocess.run(
        [sys.executable, "-m", "eval.aggregate", *args, str(path)], cwd=REPO, capture_output=True, text=True
    )


def test_cli_table_from_plain_fractions(tmp_path):
    run = _cli(tmp_path, COGVIDEOX_5B, "--benchmark", "vbench")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1].split() == ["total", "81.61"]
    assert ["quality", "82.76"] in [line.split() for line in lines]
    assert ["scene", "53.20", "64.70"] in [line.split() for line in lines]


def test_cli_json_from_vbench_result_format(tmp_path):
    vbench_format = {d: [v, [{"video_path": "a.mp4", "video_results": v}]] for d, v in DYNAMICRAFTER_1024.items()}
    run = _cli(tmp_path, vbench_format, "--benchmark", "vbench_i2v", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["complete"] is True
    assert 100 * out["total"] == pytest.approx(87.75, abs=0.02)
    assert out["raw"]["camera_motion"] == pytest.approx(0.3544)


def test_cli_partial(tmp_path):
    run = _cli(tmp_path, {"i2v_subject": 0.98}, "--benchmark", "vbench_i2v")
    assert run.returncode == 0
    assert run.stdout.splitlines()[-2].split() == ["total", "-"]
    assert run.stdout.splitlines()[-1].startswith("partial: missing camera_motion, i2v_background")


@pytest.mark.parametrize(
    "payload, needle",
    [
        ('{"color": NaN}', "'color'"),
        ({"colour": 0.5}, "'colour'"),
        ({"color": [0.5, 0.6, 0.7]}, "'color'"),
        ("[0.5]", "JSON list"),
        ("{not json", "not valid JSON"),
    ],
)
def test_cli_bad_input_exits_nonzero_with_one_line(tmp_path, payload, needle):
    run = _cli(tmp_path, payload, "--benchmark", "vbench")
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert run.stderr.startswith("error: ") and needle in run.stderr


def test_cli_missing_file(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "eval.aggregate", "--benchmark", "vbench", str(tmp_path / "nope.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "cannot read" in run.stderr and "nope.json" in run.stderr


def test_resampled_weighted_means_give_the_reducers_bits():
    """results.json's bootstrap reduces weighted-mean dimensions on arrays of prompt indices: the same value, bit for
    bit, as the dimension's reducer on the drawn prompts' videos (uneven prompts, weights, both divisors)."""
    from eval.results import RESAMPLED, ResampledMean
    from eval.scoring.specs import VideoScore

    rng = np.random.default_rng(3)
    prompts = [
        [VideoScore(float(rng.uniform(0, 100)), float(rng.choice([0.5, 1.0, 96.0]))) for _ in range(rng.integers(1, 7))]
        for _ in range(300)
    ]
    for reduce, divisor in RESAMPLED.items():
        resampled = ResampledMean(prompts, divisor)
        assert resampled(list(range(len(prompts)))).hex() == reduce([s for p in prompts for s in p]).hex()
        for _ in range(50):
            idx = rng.integers(0, len(prompts), size=len(prompts)).tolist()
            assert resampled(idx).hex() == reduce([s for i in idx for s in prompts[i]]).hex()


def test_reducers_add_left_to_right_on_every_python():
    """Python 3.12's ``sum()`` compensates rounding; the reducers and formulas must not, or 3.11 and 3.12 give
    other last bits (the CI's 3.12 job compares them)."""
    from eval.ordered_sum import ordered_sum
    from eval.scoring.specs import VideoScore, weighted_mean

    values = [1e16, 1.0, -1e16]
    assert ordered_sum(values) == 0.0 and math.fsum(values) == 1.0
    assert weighted_mean([VideoScore(v) for v in values]) == 0.0
