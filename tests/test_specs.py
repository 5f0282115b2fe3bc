"""The dimension specs and benchmark objects: every table derived from them agrees, each spec names code that
exists in VBench's source at 45e79ec, and a new dimension is one spec entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.benchmarks import BENCHMARKS, BY_TASK
from eval.scoring import fixtures, weights
from eval.scoring.specs import SPECS, DimensionSpec, spec
from eval.vbench_constants import DIMENSIONS

VBENCH_SRC = Path(__file__).resolve().parents[2] / "shared" / "third_party" / "VBench-45e79ec"


def test_every_weight_set_is_read_by_a_spec_and_built_by_a_fixture():
    read = {m for s in SPECS.values() for m in s.models}
    assert read == set(weights.MODELS)
    assert {p.name for p in fixtures.PRODUCTS} <= read
    for product in fixtures.PRODUCTS:
        assert product.files() and set(product.dimensions) == set(weights.reading(product.name))


def test_benchmarks_name_known_dimensions_with_constants():
    for bench in BENCHMARKS.values():
        assert set(bench.defaults) <= set(bench.dimensions) <= set(SPECS)
        assert all(spec(d).constants is DIMENSIONS[d] for d in bench.dimensions)
        assert set(bench.group_weights) == set(bench.groups) <= set(bench.group_titles)
        for dimension, flag in bench.filters.items():
            assert dimension in bench.dimensions and spec(flag).constants is None
        assert BY_TASK[bench.task] == bench.name
    assert BENCHMARKS["vbench"].with_filters(["temporal_flickering"]) == ["static_filter", "temporal_flickering"]
    assert BENCHMARKS["vbench_i2v"].with_filters(["temporal_flickering"]) == ["temporal_flickering"]


@pytest.mark.skipif(not VBENCH_SRC.is_dir(), reason="../shared/third_party/VBench-45e79ec is absent")
@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_names_vbench_code_at_45e79ec(name):
    """Each spec's module is a file of VBench's tree at 45e79ec that defines its function."""
    dim = spec(name)
    source = (VBENCH_SRC / (dim.module.replace(".", "/") + ".py")).read_text()
    assert re.search(rf"^(def|class) {dim.function}\b", source, re.M), (dim.module, dim.function)
    if dim.needs_auxiliary:
        assert "auxiliary_info" in source


def test_a_new_dimension_is_one_spec_entry(monkeypatch):
    """A spec reading an existing weight set gets its files, fixtures, code checks and video checks from the
    spec alone."""
    new = DimensionSpec(
        "my_consistency", "vbench.subject_consistency", models=("dino",), requires=("detectron2",), min_frames=3
    )
    monkeypatch.setitem(SPECS, new.name, new)
    assert new.function == "compute_my_consistency"
    assert weights.required_files([new.name]) == weights.required_files(["subject_consistency"])
    assert [p.name for p in fixtures.products_for([new.name])] == ["dino"]
    assert new.name in weights.reading("dino")
    problems = weights.code_problems([new.name], bert=False)
    assert all(p.dimensions == (new.name,) for p in problems)
    assert bool(problems) == (__import__("importlib").util.find_spec("detectron2") is None)


def test_spec_refuses_unknown_shims_and_names():
    with pytest.raises(ValueError, match="unknown shims"):
        DimensionSpec("x", "vbench.x", shims=("teleport",))
    with pytest.raises(Exception, match="unknown or not yet supported dimension 'nope'"):
        spec("nope")
