#!/usr/bin/env bash
# Set up everything the project needs on a fresh machine: .venv, the project and its pinned stack,
# and VBench's scoring code (installed --no-deps; see pyproject.toml). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade "pip>=24"
.venv/bin/python -m pip install -q -e ".[test]"
# vbench 0.1.5's metadata pins transformers==4.33.2 (tokenizers 0.13 cannot read the real
# HunyuanVideo tokenizer.json, and it clashes with diffusers); its real needs are in pyproject.toml.
.venv/bin/python -m pip install -q --no-deps "vbench==0.1.5"
# camera_motion needs VBench's source tree and co-tracker's hub repo, both pinned (eval/scoring/code.py): cloned
# into $SKYREELS_CACHE/src where there is internet; otherwise one line says camera_motion is unavailable.
.venv/bin/python -m eval.scoring.code fetch || true
echo "setup complete: $(.venv/bin/python -c 'import torch, diffusers, transformers; print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)')"
