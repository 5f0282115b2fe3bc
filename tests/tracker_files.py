"""Reading back what a tracker logged offline, from its files (``wandb.Api`` needs the server).

A W&B offline run is ``<dir>/wandb/offline-run-<time>-<id>/run-<id>.wandb``: a 7-byte header (``:W&B``, magic
0xBEE1, version 0) and then LevelDB's log format (google/leveldb ``doc/log_format.md``: 32 KiB blocks of records
with a 7-byte header, checksum uint32, length uint16, type FULL=1/FIRST=2/MIDDLE=3/LAST=4; a block's last < 7 bytes
are zero padding), whose payloads are ``wandb_internal_pb2.Record`` protobufs (wandb's former
``wandb/sdk/internal/datastore.py`` read it so; its Go core writes it now). Tables are JSON files beside it under
``files/media/table/``.
"""

from __future__ import annotations

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
    """The offline run's config, final summary (top-level keys) and tables (name -> JSON)."""
    (folder,) = Path(run_dir).glob("wandb/offline-run-*")
    (log,) = folder.glob("run-*.wandb")
    config, summary = {}, {}
    for record in wandb_records(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            config.update({u.key: json.loads(u.value_json) for u in record.run.config.update})
        elif kind == "summary":
            for u in record.summary.update:
                key = u.key or (u.nested_key[0] if len(u.nested_key) == 1 else None)
                if key:
                    summary[key] = json.loads(u.value_json)
    tables = {p.name.split("_")[0]: json.loads(p.read_text()) for p in folder.glob("files/media/table/*.table.json")}
    return {"folder": folder, "config": config, "summary": summary, "tables": tables}
