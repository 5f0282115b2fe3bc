"""The plan: a suite expanded into units (item, sample index) with order-independent seeds and cache keys.

``plan.json`` is written once per run directory. The run directory is a pure function of
(suite, generator fingerprint), so rerunning the same command resumes the same plan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_json_atomic
from .benchmarks import BY_TASK
from .errors import HarnessError
from .generators.base import EXECUTION_KEYS
from .records import Suite, SuiteItem

PLAN_FILE = "plan.json"
PLAN_SCHEMA = 1


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator and every setting that changes pixels (weights ids and revisions included, ``auto``
    values resolved for the planned device type). The adapter's ``execution_keys`` (where and how to run, not
    what comes out) are left out; the device's type, which changes pixels, is in as ``device_type``."""

    name: str
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def from_config(cls, cfg: dict, execution_keys: tuple[str, ...] = EXECUTION_KEYS) -> GeneratorSpec:
        cfg = {k: v for k, v in cfg.items() if k not in execution_keys}
        return cls(name=cfg.pop("name"), params=tuple(sorted(cfg.items())))

    @property
    def config(self) -> dict:
        return {"name": self.name, **dict(self.params)}

    @property
    def fingerprint(self) -> str:
        return sha256_hex(canonical_json(self.config))[:16]


@dataclass(frozen=True)
class Unit:
    """One video to make: sample ``index`` of ``item_id``, with its own seed and cache key."""

    item_id: str
    index: int
    seed: int
    key: str


def unit_seed(base_seed: int, item_id: str, index: int) -> int:
    """A 63-bit seed from (base seed, item id, sample index): independent of order and sharding."""
    return int(sha256_hex(canonical_json([base_seed, item_id, index]))[:16], 16) >> 1


def unit_key(fingerprint: str, item: SuiteItem, index: int, seed: int) -> str:
    """Cache key: changes whenever the generator, the item's content or the sample changes."""
    return sha256_hex(canonical_json([fingerprint, item.id, item.prompt, item.image_sha256, index, seed]))[:20]


@dataclass(frozen=True)
class Plan:
    suite: Suite
    generator: GeneratorSpec
    base_seed: int
    units: tuple[Unit, ...]

    @classmethod
    def build(cls, suite: Suite, generator: GeneratorSpec, base_seed: int) -> Plan:
        fp = generator.fingerprint
        units = []
        for item in suite.items:
            for index in range(item.samples):
                seed = unit_seed(base_seed, item.id, index)
                units.append(Unit(item.id, index, seed, unit_key(fp, item, index, seed)))
        return cls(suite, generator, base_seed, tuple(units))

    @property
    def items(self) -> dict[str, SuiteItem]:
        return {item.id: item for item in self.suite.items}

    def shard(self, index: int, count: int) -> tuple[Unit, ...]:
        """Fixed logical shard ``index`` of ``count``: contiguous runs of units, as even as possible."""
        n = len(self.units)
        return self.units[index * n // count : (index + 1) * n // count]

    def to_json(self) -> dict:
        return {
            "schema": PLAN_SCHEMA,
            "suite": {
                "name": self.suite.name,
                "task": self.suite.task,
                "benchmark": self.suite.benchmark,
                "source": self.suite.source,
                "items": [item.to_json() for item in self.suite.items],
            },
            "generator": self.generator.config,
            "fingerprint": self.generator.fingerprint,
            "base_seed": self.base_seed,
            "units": [[u.item_id, u.index, u.seed, u.key] for u in self.units],
        }

    @classmethod
    def from_json(cls, d: dict) -> Plan:
        s = d["suite"]
        # plans written before suites named their benchmark: the benchmark of their task
        benchmark = s.get("benchmark") or BY_TASK[s["task"]]
        suite = Suite(s["name"], s["task"], tuple(SuiteItem.from_json(i) for i in s["items"]), s["source"], benchmark)
        return cls(
            suite, GeneratorSpec.from_config(d["generator"]), d["base_seed"], tuple(Unit(*u) for u in d["units"])
        )


def run_dir_for(root: str | Path, suite_name: str, generator: GeneratorSpec) -> Path:
    return Path(root) / suite_name / f"{generator.name}-{generator.fingerprint}"


def write_or_check_plan(run_dir: Path, plan: Plan) -> Plan:
    """Write ``plan.json`` the first time; later, refuse a plan that differs from the stored one."""
    path = run_dir / PLAN_FILE
    new = plan.to_json()
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, new)
        return plan
    old = Plan.from_json(json.loads(path.read_text())).to_json()  # in today's form
    if old == new:
        return plan
    changed = sorted(k for k in new if old.get(k) != new[k])
    detail = _diff_generator(old.get("generator", {}), new["generator"]) if "generator" in changed else ""
    raise HarnessError(
        f"{run_dir} already holds a different plan ({', '.join(changed)} changed{detail}); nothing was "
        "overwritten. Use a new run.dir for the new settings, or rerun with the original settings to resume"
    )


def _diff_generator(old: dict, new: dict) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ": " + ", ".join(f"generator.{k} {old.get(k)!r} -> {new.get(k)!r}" for k in keys)


def load_plan(run_dir: Path) -> Plan:
    path = Path(run_dir) / PLAN_FILE
    if not path.exists():
        raise HarnessError(f"no {PLAN_FILE} in {run_dir}; run `python -m eval.run +suite=...` to plan it first")
    return Plan.from_json(json.loads(path.read_text()))
