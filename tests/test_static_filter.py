"""VBench's T2V static filter ahead of temporal_flickering.

The choice of videos against VBench's own ``static_filter(args)`` loop (its ``StaticFilter`` scripted, so
no RAFT runs); T2V runs through ``python -m eval.run`` with the filter scripted (mixed flags, failures,
chunks) and with VBench's real ``StaticFilter.infer`` on random RAFT weights (flags, choice and scored
videos consistent, each flag what VBench's class says for that file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from harness import run_inprocess

from eval.errors import HarnessError
from eval.plan import Unit
from eval.scoring.static_filter import KEEP, Selection, applies, needed, select, selection_notes

FPS = 24
SCORE = "run.stages=[generate,score,aggregate]"


def _units(flags: dict[str, list[int]]) -> list[Unit]:
    return [Unit(item, i, 0, f"{item}-{i}") for item, fl in flags.items() for i in range(len(fl))]


def _static(flags: dict[str, list[int]]) -> dict[str, bool]:
    return {f"{item}-{i}": bool(f) for item, fl in flags.items() for i, f in enumerate(fl)}


def _flags(n: int, static: set[int]) -> list[int]:
    return [int(i in static) for i in range(n)]


# --- the choice against VBench's own loop -------------------------------------------------------------


def test_choice_is_vbench_static_filter(tmp_path, monkeypatch):
    """VBench's ``static_filter`` over 25 videos per temporal_flickering prompt; its copies map back to
    their sources by content. Our ``select`` keeps exactly those, in the same order, and needs no flag
    past the ones VBench's early-stopping loop asked for."""
    import vbench.cli.static_filter as module
    from vbench.utils import load_json

    prompts = [
        e["prompt_en"]
        for e in load_json(Path(module.CUR_DIR).parent / "VBench_full_info.json")
        if "temporal_flickering" in e["dimension"]
    ][:4]
    flags = {
        prompts[0]: _flags(25, {2, 3, 5, 10, 12, 19, 20, 21}),  # 8 static; by number 2,3,5,10,12
        prompts[1]: _flags(25, {4, 13, 24}),  # fewer than 5
        prompts[2]: _flags(25, set()),
        prompts[3]: _flags(25, {0, 7, 9, 15, 22}),
    }
    videos = tmp_path / "videos"
    videos.mkdir()
    for prompt, fl in flags.items():
        for i in range(len(fl)):
            (videos / f"{prompt}-{i}.mp4").write_bytes(f"{prompt}-{i}".encode())  # the content names the source
    asked = []

    class ScriptedStaticFilter:
        def __init__(self, args, device):
            pass

        def infer(self, path):
            asked.append(Path(path).stem)
            prompt, i = Path(path).stem.rsplit("-", 1)
            return bool(flags[prompt][int(i)])

    monkeypatch.setattr(module, "StaticFilter", ScriptedStaticFilter)
    out = tmp_path / "out"
    module.static_filter(
        argparse.Namespace(
            videos_path=str(videos),
            result_path=str(out),
            model="unused",
            store_name="filtered.json",
            filter_scope="temporal_flickering",
        )
    )
    copied = {}
    for path in (out / "filtered_videos").iterdir():
        prompt, j = path.stem.rsplit("-", 1)
        copied.setdefault(prompt, {})[int(j)] = path.read_text()  # "{prompt}-{i}" of the source
    vbench_kept = {
        prompt: tuple(copied.get(prompt, {})[j] for j in range(len(copied.get(prompt, {})))) for prompt in flags
    }

    chosen = select(_units(flags), _static(flags))
    assert dict(chosen.kept) == vbench_kept and not chosen.pending
    assert vbench_kept[prompts[0]] == tuple(f"{prompts[0]}-{i}" for i in (10, 12, 19, 2, 20))  # names sort as text
    assert chosen.short == {prompts[1]: 3, prompts[2]: 0} and chosen.expected == 5 + 3 + 0 + 5
    info = json.loads((out / "filtered.json").read_text())
    assert {p: info[p]["static_count"] for p in flags} == {p: len(k) for p, k in chosen.kept.items()}
    # VBench stopped asking after each prompt's 5th static video: those flags alone settle the same choice
    early = select(_units(flags), {k: v for k, v in _static(flags).items() if k in asked})
    assert len(asked) < 4 * 25 and early == chosen
    # and the harness flags exactly those: ``needed`` on all the flags is the set VBench's loop asked for,
    # and on the flags of any prefix of VBench's order it keeps every video that loop asks for after it
    assert needed(_units(flags), _static(flags)).keys == set(asked) and len(set(asked)) == len(asked)
    for n in range(len(asked) + 1):
        so_far = {k: v for k, v in _static(flags).items() if k in asked[:n]}
        assert set(asked[n:]) <= needed(_units(flags), so_far).keys


def test_choice_waits_for_missing_flags_before_the_fifth_static():
    flags = {"a": _flags(12, {1, 3, 4, 7, 8, 10, 11}), "b": _flags(3, {0, 2})}
    static = _static(flags)
    late = {k: v for k, v in static.items() if k != "a-9"}  # after a's 5th static (1, 10, 11, 3, 4): not needed
    assert select(_units(flags), late) == select(_units(flags), static)
    early = {k: v for k, v in static.items() if k != "b-1"}
    chosen = select(_units(flags), early)
    assert chosen == Selection({"a": ("a-1", "a-10", "a-11", "a-3", "a-4")}, {"b": 3})
    assert chosen.expected == 5 + 3 and chosen.keys == frozenset(chosen.kept["a"])


def test_only_t2v_temporal_flickering_is_filtered():
    assert applies("vbench", "temporal_flickering")
    assert not applies("vbench_i2v", "temporal_flickering") and not applies("vbench", "dynamic_degree")


def test_small_videos_are_refused_before_raft_calls_them_static(tmp_path):
    """RAFT gives NaN below 128 px, and VBench's check reads NaN as static."""
    from eval.workers.score import ScoreShard
    from videogen.mp4 import write_mp4

    shard = ScoreShard(str(tmp_path), "static_filter", 0, 1, "test", {"fps": FPS, "env": {}})
    small = write_mp4(np.zeros((5, 64, 64, 3), np.uint8), tmp_path / "small.mp4", fps=FPS)
    assert "gives NaN below 128 px" in shard.check_video(small)


# --- T2V runs -----------------------------------------------------------------------------------------


def _clip(seed: int, frames: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (frames, 128, 128, 3), dtype=np.uint8)


def _t2v_run_inputs(folder: Path, items: dict[str, tuple[int, list[str]]], frames: int = 3) -> Path:
    """External videos ``{prompt}-{i}.mp4`` and a custom T2V suite (prompt: samples, dimensions)."""
    from videogen.mp4 import write_mp4

    lines, seed = [], 0
    for prompt, (samples, dims) in items.items():
        lines.append(json.dumps({"prompt": prompt, "samples": samples, "dimensions": dims}))
        for i in range(samples):
            write_mp4(_clip(seed, frames), folder / "videos" / f"{prompt}-{i}.mp4", fps=FPS)
            seed += 1
    (folder / "suite.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _run(folder: Path, *extra: str) -> Path:
    return run_inprocess(
        "+suite=custom",
        f"suite.path={folder / 'suite.jsonl'}",
        "generator=external",
        f"generator.videos={folder / 'videos'}",
        f"run.root={folder / 'runs'}",
        SCORE,
        "scoring.dimensions=[temporal_flickering]",
        *extra,
    )


def _lines(run_dir: Path, dimension: str) -> list[dict]:
    return [
        json.loads(line)
        for p in sorted((run_dir / "scores" / dimension).glob("*.jsonl"))
        for line in p.read_text().splitlines()
    ]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SCRIPTED = {
    "a lamp on a table": (12, ["temporal_flickering"]),  # static 1,3,4,7,8,10,11: keeps 1,10,11,3,4
    "a cup of tea": (3, ["temporal_flickering"]),  # static 0,2: keeps both
    "a closed door": (2, ["temporal_flickering"]),  # none static
    "a red bicycle": (1, ["color"]),
}  # not temporal_flickering's: never filtered
STATIC = {"a lamp on a table": {1, 3, 4, 7, 8, 10, 11}, "a cup of tea": {0, 2}, "a closed door": set()}
KEPT = {"a lamp on a table": [1, 10, 11, 3, 4], "a cup of tea": [0, 2], "a closed door": []}
ASKED = {"a lamp on a table": [0, 1, 10, 11, 2, 3, 4], "a cup of tea": [0, 1, 2], "a closed door": [0, 1]}  # VBench's


@pytest.fixture
def scripted(tmp_path, monkeypatch):
    """The scripted suite's videos, and VBench's ``StaticFilter`` replaced by one that answers by content
    (and checks the harness's shim: RAFT's file, the device, the module's DEVICE set to it)."""
    import vbench.cli.static_filter as module

    folder = _t2v_run_inputs(tmp_path, SCRIPTED)
    answers = {
        _sha(folder / "videos" / f"{p}-{i}.mp4"): i in static
        for p, static in STATIC.items()
        for i in range(SCRIPTED[p][0])
    }
    calls, broken = [], set()

    class ScriptedStaticFilter:
        def __init__(self, args, device):
            assert args.model.endswith("raft_model/models/raft-things.pth") and Path(args.model).is_file()
            assert (args.small, args.mixed_precision, args.alternate_corr) == (False, False, False)
            self.device = device

        def infer(self, path):
            assert module.DEVICE == self.device
            sha = _sha(Path(path))
            calls.append(sha)
            if sha in broken:
                raise RuntimeError("scripted failure")  # of the kind a rerun may fix (e.g. out of memory)
            return answers[sha]

    monkeypatch.setattr(module, "StaticFilter", ScriptedStaticFilter)
    import cv2

    opened, capture = [], cv2.VideoCapture

    def counted(path, *args):
        opened.append(Path(path).name)
        return capture(path, *args)

    monkeypatch.setattr(cv2, "VideoCapture", counted)  # the score worker's decodes (VBench's reads are replays)
    return folder, calls, broken, opened


def _keys(run_dir: Path, wanted: dict[str, list[int]]) -> set[str]:
    plan = json.loads((run_dir / "plan.json").read_text())
    ids = {item["prompt"]: item["id"] for item in plan["suite"]["items"]}
    by_unit = {(item, index): key for item, index, _, key in plan["units"]}
    return {by_unit[ids[p], i] for p, indices in wanted.items() for i in indices}


def test_t2v_scores_temporal_flickering_on_the_static_videos_only(scripted, capsys):
    folder, calls, _, opened = scripted
    run_dir = _run(folder)
    out = capsys.readouterr().out
    # decoded: the 12 videos flagged, the lamp's 5 (read ahead while its 4, the 5th static, was being flagged;
    # its 6 to 11 are not read), and the 7 kept ones again for temporal_flickering
    assert len(opened) == 12 + 1 + 7, sorted(opened)

    flags = _lines(run_dir, "static_filter")
    assert len(flags) == len(calls) == 12  # each video VBench's loop flags once (not the lamp's after its 5th static)
    assert {x["key"]: x["value"] for x in flags} == {
        **dict.fromkeys(_keys(run_dir, ASKED), 0.0),
        **dict.fromkeys(_keys(run_dir, {p: sorted(set(ASKED[p]) & s) for p, s in STATIC.items()}), 1.0),
    }
    scored = _lines(run_dir, "temporal_flickering")
    assert {x["key"] for x in scored} == _keys(run_dir, KEPT) and len(scored) == 7
    results = json.loads((run_dir / "results.json").read_text())
    tf = results["dimensions"]["temporal_flickering"]
    assert (tf["n_scored"], tf["n_expected"], tf["n_failed"], tf["complete"]) == (7, 7, 0, True)
    assert tf["raw"] == pytest.approx(np.mean([x["value"] for x in scored]), rel=1e-12)
    assert "static_filter" not in results["dimensions"]
    summary = results["static_filter"]
    assert (summary["n_videos"], summary["n_flagged"], summary["n_static"], summary["n_kept"]) == (17, 12, 7, 7)
    assert summary["complete"] and summary["pending"] == [] and summary["keep"] == KEEP
    ids = {item["prompt"]: item["id"] for item in json.loads((run_dir / "plan.json").read_text())["suite"]["items"]}
    assert summary["short"] == {ids["a cup of tea"]: 2, ids["a closed door"]: 0}
    rows = {row["key"]: row["scores"] for row in results["videos"]}
    assert {k for k, s in rows.items() if "temporal_flickering" in s} == _keys(run_dir, KEPT)
    assert sum("static_filter" in s for s in rows.values()) == 12
    assert "prompt 'a cup of tea' has 2 static video(s) of 3" in out and "prompt 'a closed door' has 0" in out
    assert "a lamp on a table'" not in out

    before = {d: _lines(run_dir, d) for d in ("static_filter", "temporal_flickering")}
    _run(folder, f"run.dir={run_dir}")
    assert {d: _lines(run_dir, d) for d in before} == before and len(calls) == 12  # nothing rescored

    copy = folder / "chunked"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scores", "scoring-work", "results.json", ".lock"))
    _run(folder, f"run.dir={copy}", "scoring.chunks=3")
    assert len(list((copy / "scores" / "temporal_flickering").glob("*.jsonl"))) == 3
    assert len(list((copy / "scores" / "static_filter").glob("*.jsonl"))) == 3
    assert sorted(x["key"] for x in _lines(copy, "static_filter")) == sorted(x["key"] for x in flags)  # the same 12
    other = json.loads((copy / "results.json").read_text())["dimensions"]["temporal_flickering"]
    assert (other["raw"], other["n_expected"]) == (tf["raw"], 7)


def test_failed_flag_holds_back_its_prompt_only(scripted, capsys):
    folder, calls, broken, _ = scripted
    broken.add(_sha(folder / "videos" / "a cup of tea-1.mp4"))  # between its two static videos
    with pytest.raises(HarnessError, match="rerun the same command to retry"):
        _run(folder)
    run_dir = next((folder / "runs").glob("*/*"))
    kept_a = _keys(run_dir, {"a lamp on a table": KEPT["a lamp on a table"]})
    assert {x["key"] for x in _lines(run_dir, "temporal_flickering")} == kept_a  # b waits, c keeps none
    from eval.status import main as status

    capsys.readouterr()
    assert status([str(run_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "       temporal_flickering:      5 scored     0 failed      3 pending" in out  # 3: the most b may keep
    assert out[-1] == (
        "  static_filter: 11/12 videos flagged, 1 failed; 2/3 prompts settled, 5 videos kept for temporal_flickering"
    )
    _run(folder, f"run.dir={run_dir}", "run.stages=[aggregate]")
    results = json.loads((run_dir / "results.json").read_text())
    tf = results["dimensions"]["temporal_flickering"]
    assert (tf["n_scored"], tf["n_expected"], tf["complete"]) == (5, 5 + 3, False)  # 3: the most it may keep
    assert results["status"] == "partial" and not results["static_filter"]["complete"]

    broken.clear()
    _run(folder, f"run.dir={run_dir}")
    tf = json.loads((run_dir / "results.json").read_text())["dimensions"]["temporal_flickering"]
    assert (tf["n_scored"], tf["n_expected"], tf["complete"]) == (7, 7, True)


def test_t2v_run_with_vbench_static_filter(tmp_path, capsys):
    """VBench's real ``StaticFilter.infer`` (random RAFT weights): whatever the flags, the videos scored
    are the static ones, n_expected counts them, and each flag is VBench's own for that file."""
    import torch
    import vbench.cli.static_filter as module

    from videogen.cache import cache_dir

    folder = _t2v_run_inputs(tmp_path, {"a toy robot": (3, ["temporal_flickering"])}, frames=5)
    run_dir = _run(folder)
    out = capsys.readouterr().out

    flags = {x["key"]: x for x in _lines(run_dir, "static_filter")}
    assert len(flags) == 3 and {x["status"] for x in flags.values()} == {"ok"}
    static = {k for k, x in flags.items() if x["value"] == 1.0}
    assert {x["value"] for x in flags.values()} <= {0.0, 1.0}
    assert {x["key"] for x in _lines(run_dir, "temporal_flickering")} == static
    tf = json.loads((run_dir / "results.json").read_text())["dimensions"]["temporal_flickering"]
    assert (tf["n_scored"], tf["n_expected"]) == (len(static), len(static))
    assert f"prompt 'a toy robot' has {len(static)} static video(s) of 3" in out

    raft = cache_dir() / "vbench-fixtures/vbench/raft_model/models/raft-things.pth"
    args = argparse.Namespace(model=str(raft), small=False, mixed_precision=False, alternate_corr=False)
    videos = {
        line["key"]: run_dir / line["video"]
        for p in (run_dir / "manifests").glob("*.jsonl")
        for line in map(json.loads, p.read_text().splitlines())
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, "DEVICE", "cpu")
        vbench = module.StaticFilter(args, torch.device("cpu"))
        assert {k: float(vbench.infer(str(videos[k]))) for k in flags} == {k: x["value"] for k, x in flags.items()}

    before = _lines(run_dir, "static_filter") + _lines(run_dir, "temporal_flickering")
    _run(folder, f"run.dir={run_dir}")
    assert _lines(run_dir, "static_filter") + _lines(run_dir, "temporal_flickering") == before


def test_notes_name_short_and_waiting_prompts():
    from eval.records import SuiteItem

    items = {"x": SuiteItem("x", "a cat", samples=25), "y": SuiteItem("y", "a dog", samples=25)}
    notes = selection_notes(items, Selection({"x": ("k1", "k2")}, {"y": 5}))
    assert notes[0].startswith("warning: prompt 'a cat' has 2 static video(s) of 25, fewer than the 5")
    assert "1 prompt(s) wait for static filter flags" in notes[1] and len(notes) == 2
