"""The typed generator interface: what the harness checks on each return, and what it takes from the adapter
(execution keys, display name, random weights, expected video) instead of looking for names in strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import manifest_lines, run_inprocess

from eval.errors import HarnessError
from eval.generators import REGISTRY, generator_class
from eval.generators.base import BadReturn, ExpectedVideo, Generator, Provenance, VideoFacts, check_facts, mismatches
from eval.generators.skyreels import SkyReelsAdapter

GOOD = VideoFacts(frames=9, fps=24, width=128, height=128, seconds=1.0)


@pytest.fixture
def mp4(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\0")
    return path


@pytest.mark.parametrize(
    "facts, message",
    [
        (
            {"frames": 9, "fps": 24, "width": 128, "height": 128, "seconds": 1.0, "extra": 1},
            "returned dict, not VideoFacts",
        ),
        (VideoFacts(frames=0, fps=24, width=128, height=128, seconds=1.0), "impossible video facts: frames=0"),
        (VideoFacts(frames=9, fps=float("nan"), width=128, height=128, seconds=1.0), "fps=nan"),
        (VideoFacts(frames=9, fps=8, width=128, height=128, seconds=1.0), r"fps=8 \(the run expects 24\)"),
        (VideoFacts(frames=13, fps=24, width=128, height=128, seconds=1.0), r"frames=13 \(the run expects 9\)"),
    ],
)
def test_bad_returns_are_named(facts, message, mp4):
    with pytest.raises(BadReturn, match=message):
        check_facts(facts, mp4, ExpectedVideo(fps=24, frames=9, width=128, height=128))


def test_a_return_without_its_file_is_refused(tmp_path):
    with pytest.raises(BadReturn, match="wrote no file"):
        check_facts(GOOD, tmp_path / "missing.mp4", ExpectedVideo(fps=24))
    (tmp_path / "x.mp4").write_bytes(b"\0")
    assert check_facts(GOOD, tmp_path / "x.mp4", ExpectedVideo(fps=24)) is GOOD


def test_mismatches_name_only_what_the_run_fixes():
    facts = {"fps": 16, "frames": 81, "width": 1280, "height": 720}
    assert mismatches(facts, ExpectedVideo(fps=16, frames=81)) == []
    assert mismatches(facts, ExpectedVideo(fps=24, width=832)) == [
        "fps=16 (the run expects 24)",
        "width=1280 (the run expects 832)",
    ]


def test_every_registered_generator_implements_the_interface():
    for name in REGISTRY:
        cls = generator_class(name)
        assert issubclass(cls, Generator), name
        assert not getattr(cls, "__abstractmethods__", None), (name, cls.__abstractmethods__)
        assert set(cls.execution_keys) >= {"device", "offline"}, name
        assert cls.tasks and set(cls.tasks) <= {"t2v", "i2v"}, name


def test_tiny_and_real_skyreels_are_named_by_the_adapter():
    tiny = {"name": "skyreels", "base": "tiny", "transformer": "tiny"}
    real = {"name": "skyreels", "base": "hunyuanvideo-community/HunyuanVideo", "transformer": None}
    assert SkyReelsAdapter.display_name(tiny, "i2v") == "SkyReels V1 I2V (tiny random)"
    assert SkyReelsAdapter.random_weights(tiny) and not SkyReelsAdapter.random_weights(real)
    assert SkyReelsAdapter.display_name(real, "t2v") == "SkyReels V1 T2V"
    assert SkyReelsAdapter.published_as(real, "t2v") == "SkyReels V1 540P"
    assert SkyReelsAdapter.published_as(tiny, "t2v") is None and SkyReelsAdapter.published_as(real, "i2v") is None
    assert SkyReelsAdapter.expected_video(
        {**tiny, "fps": 8, "num_frames": 9, "height": 64, "width": 96}
    ) == ExpectedVideo(fps=8, frames=9, width=96, height=64)


class EveryOtherReturnIsBad(SkyReelsAdapter):
    """The real tiny SkyReels, whose every second video comes back as a dict with one key too many."""

    calls = 0

    def generate(self, item, unit, out_path):
        facts = super().generate(item, unit, out_path)
        type(self).calls += 1
        return {**facts.to_json(), "sampler": "x"} if type(self).calls % 2 == 0 else facts


def test_a_bad_return_fails_that_unit_only_and_a_rerun_makes_it(tmp_path, monkeypatch):
    monkeypatch.setitem(REGISTRY, "skyreels", f"{__name__}:EveryOtherReturnIsBad")
    args = ("+suite=smoke", "suite.samples=1", f"run.root={tmp_path}")
    with pytest.raises(HarnessError, match="1 of 1 shards failed"):
        run_inprocess(*args)
    (run_dir,) = (tmp_path / "smoke").iterdir()
    lines = manifest_lines(run_dir)
    failed = [line for line in lines if line["status"] == "failed"]
    assert len(lines) == 3 and len(failed) == 1  # the shard went on past the bad return
    assert "BadReturn: generate() returned dict, not VideoFacts" in failed[0]["error"]
    monkeypatch.setitem(REGISTRY, "skyreels", "eval.generators.skyreels:SkyReelsAdapter")
    assert run_inprocess(*args) == run_dir
    done = [line for line in manifest_lines(run_dir) if line["status"] == "done"]
    assert len(done) == 3 and {line["key"] for line in done} == {line["key"] for line in lines}


def test_provenance_summary_is_what_manifests_record():
    prov = Provenance(
        weights={
            "pipeline": {"source": "THUDM/CogVideoX-5b-I2V", "revision": None, "commit": "abc", "path": "/x"},
            "local": {"source": "/w", "revision": None, "commit": None, "path": "/w"},
        }
    )
    assert prov.weights_summary == {"pipeline": "THUDM/CogVideoX-5b-I2V@abc", "local": "/w@local"}
    assert json.loads(json.dumps(prov.to_json()))["weights_summary"] == prov.weights_summary


def test_the_adapter_declares_its_execution_keys():
    """Settings an adapter declares as execution-only stay out of the fingerprint; others are in it."""
    from eval.plan import GeneratorSpec

    config = {"name": "skyreels", "device": "cpu", "offline": True, "num_inference_steps": 4}
    assert GeneratorSpec.from_config(config, SkyReelsAdapter.execution_keys).config == {
        "name": "skyreels",
        "num_inference_steps": 4,
    }
    spec = GeneratorSpec.from_config(config, ("device",))
    assert spec.config["offline"] is True


def test_the_generation_packages_know_nothing_of_the_harness():
    """``videogen/`` and ``skyreels/`` sit below ``eval/``: neither imports it (suites, shards, VBench)."""
    import ast

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*(root / "videogen").rglob("*.py"), *(root / "skyreels").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] in ("eval", "vbench")]
    assert offenders == []
