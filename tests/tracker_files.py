"""Reading back what a tracker logged offline, from its files (``wandb.Api`` needs the server).

A W&B offline run is ``<dir>/wandb/offline-run-<time>-<id>/run-<id>.wandb``: a 7-byte header (``:W&B``, magic
0xBEE1, version 0) and then LevelDB's log format (google/leveldb ``doc/log_format.md``: 32 KiB blocks of records
with a 7-byte header, checksum uint32, length uint16, type FULL=1/FIRST=2/MIDDLE=3/LAST=4; a block's last < 7 bytes
are zero padding), whose payloads are ``wandb_internal_pb2.Record`` protobufs (wandb's former
``wandb/sdk/internal/datastore.py`` read it so; its Go core writes it now). A logged table is written twice
(wandb 0.31 ``sdk/data_types/table.py``, ``Table.bind_to_run`` and ``to_json``): as a run file under
``files/media/table/`` with each media cell flattened to its type name ("Image"), and as a ``run_table`` artifact
``run-<id>-<key>`` (an ``artifact`` record whose manifest lists ``<key>.table.json`` and the media files, each
with its staged local copy and base64 MD5 digest), which is what ``wandb sync`` uploads and the W&B UI shows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

HEADER, BLOCK, RECORD_HEADER = 7, 32768, 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def wandb_records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B" and struct.unpack("<HB", data[4:7]) == (0xBEE1, 0), data[:7]
    pos, pending, records = HEADER, b"", []
    while pos + RECORD_HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < RECORD_HEADER:
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + RECORD_HEADER])
        payload = data[pos + RECORD_HEADER : pos + RECORD_HEADER + length]
        pos += RECORD_HEADER + length
        if kind in (FULL, FIRST):
            pending = payload
        elif kind in (MIDDLE, LAST):
            pending += payload
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
    return records


def wandb_run(run_dir: Path) -> dict:
    """The offline run's config, final summary (top-level keys) and tables (key -> the artifact's JSON)."""
    (folder,) = Path(run_dir).glob("wandb/offline-run-*")
    (log,) = folder.glob("run-*.wandb")
    config, summary = {}, {}
    records = wandb_records(log)
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            config.update({u.key: json.loads(u.value_json) for u in record.run.config.update})
        elif kind == "summary":
            for u in record.summary.update:
                key = u.key or (u.nested_key[0] if len(u.nested_key) == 1 else None)
                if key:
                    summary[key] = json.loads(u.value_json)
    tables = {}
    for record in records:
        if record.WhichOneof("record_type") == "artifact" and record.artifact.type == "run_table":
            key = record.artifact.name.removeprefix(f"run-{record.artifact.run_id}-")
            tables[key] = _artifact_table(key, record.artifact.manifest.contents)
    return {"folder": folder, "config": config, "summary": summary, "tables": tables}


def _artifact_table(key: str, contents) -> dict:
    """The table JSON of a ``run_table`` artifact, with ``files``: manifest path -> the staged file, each checked
    against the manifest's digest."""
    files = {}
    for entry in contents:
        local = Path(entry.local_path)
        assert base64.b64encode(hashlib.md5(local.read_bytes()).digest()).decode() == entry.digest, entry.path
        files[entry.path] = local
    return {**json.loads(files.pop(f"{key}.table.json").read_text()), "files": files}
