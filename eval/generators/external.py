"""Another model's videos, imported instead of generated, through the same integrity gate and manifests.

Videos are found in ``videos`` by VBench's naming, ``{prompt}-{index}.mp4``, or through a ``mapping``
JSON file ``{"<item id>-<index>": "relative/or/absolute.mp4"}``. Each is decoded in full and checked
against the expected fps, frame count and size (where given) before it is copied into the run.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from eval.atomic import write_bytes_atomic
from skyreels.video import probe_mp4


class ExternalVideoError(ValueError):
    pass


class ExternalVideos:
    def __init__(self, config: dict, task: str):
        self.root = Path(config["videos"]).expanduser()
        if not self.root.is_dir():
            raise ExternalVideoError(f"generator.videos={self.root} is not a folder; point it at the other "
                                     "model's videos ({prompt}-{index}.mp4)")
        mapping = config.get("mapping")
        self.mapping = json.loads(Path(mapping).read_text()) if mapping else None
        self.expect = {k: config.get(f"expect_{k}") for k in ("fps", "frames", "width", "height")}
        self.config = config

    def source(self, item, unit) -> Path:
        if self.mapping is not None:
            rel = self.mapping.get(f"{item.id}-{unit.index}")
            if rel is None:
                raise ExternalVideoError(f"mapping has no entry {item.id}-{unit.index}")
            return self.root / rel
        return self.root / f"{item.prompt}-{unit.index}.mp4"

    def generate(self, item, unit, out_path: Path) -> dict:
        start = time.perf_counter()
        src = self.source(item, unit)
        if not src.is_file():
            raise ExternalVideoError(f"missing video {src}")
        try:
            facts = probe_mp4(src)
        except Exception as err:  # ffmpeg's own words on a corrupt file
            raise ExternalVideoError(f"cannot decode {src}: {str(err).splitlines()[0]}") from None
        if facts["frames"] == 0:
            raise ExternalVideoError(f"{src} has no frames")
        wrong = [f"{k}={facts[k]} (expected {v})" for k, v in self.expect.items() if v is not None and facts[k] != v]
        if wrong:
            raise ExternalVideoError(f"{src}: {', '.join(wrong)}")
        write_bytes_atomic(out_path, src.read_bytes())  # fsynced temp file, then renamed
        return {**facts, "seconds": time.perf_counter() - start, "peak_rss_bytes": None, "peak_gpu_bytes": None}

    def describe(self) -> dict:
        return {"external": str(self.root), "mapping": self.config.get("mapping")}

    def close(self) -> None:
        pass
