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
from eval.generators.base import ExpectedVideo, Generator, Provenance, VideoFacts, mismatches
from videogen.mp4 import probe_mp4

CHECKED = ("fps", "frames", "width", "height")


class ExternalVideoError(ValueError):
    pass


class ExternalVideos(Generator):
    """Videos made elsewhere; ``expect_fps`` (etc.) is what each must be, ``null`` leaves it to the file."""

    @classmethod
    def expected_video(cls, config: dict) -> ExpectedVideo:
        return ExpectedVideo(**{k: config.get(f"expect_{k}") for k in CHECKED})

    @classmethod
    def display_name(cls, config: dict, task: str) -> str:
        return Path(str(config.get("videos", "external"))).name

    def __init__(self, config: dict, task: str):
        self.root = Path(config["videos"]).expanduser()
        if not self.root.is_dir():
            raise ExternalVideoError(
                f"generator.videos={self.root} is not a folder; point it at the other "
                "model's videos ({prompt}-{index}.mp4)"
            )
        mapping = config.get("mapping")
        self.mapping = json.loads(Path(mapping).read_text()) if mapping else None
        self.expect = self.expected_video(config)
        self.config = config

    def source(self, item, unit) -> Path:
        if self.mapping is not None:
            rel = self.mapping.get(f"{item.id}-{unit.index}")
            if rel is None:
                raise ExternalVideoError(f"mapping has no entry {item.id}-{unit.index}")
            return self.root / rel
        return self.root / f"{item.prompt}-{unit.index}.mp4"

    def generate(self, item, unit, out_path: Path) -> VideoFacts:
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
        wrong = mismatches(facts, self.expect)  # checked before the copy: nothing wrong enters the run
        if wrong:
            raise ExternalVideoError(f"{src}: {', '.join(wrong)}")
        write_bytes_atomic(out_path, src.read_bytes())  # fsynced temp file, then renamed
        return VideoFacts(**facts, seconds=time.perf_counter() - start)

    def describe(self) -> Provenance:
        return Provenance(
            weights={
                "videos": {
                    "source": str(self.root),
                    "revision": None,
                    "commit": None,
                    "path": self.config.get("mapping"),
                }
            }
        )
