#!/usr/bin/env bash
# Set up everything the project needs on a fresh machine: .venv (or $VENV), the project and its pinned stack,
# and VBench's scoring code (installed --no-deps; see pyproject.toml). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# The interpreter: $PYTHON, or the first installed Python 3.11 or 3.12; with none, it stops here saying why.
PY=$(bash scripts/pick_python.sh)
# VENV: where the environment goes (.venv; CI builds a second one with Python 3.12 in .venv312).
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip>=24"
"$VENV/bin/python" -m pip install -q -e ".[test,tracking]"
# vbench 0.1.5's metadata pins transformers==4.33.2 (tokenizers 0.13 cannot read the real
# HunyuanVideo tokenizer.json, and it clashes with diffusers); its real needs are in pyproject.toml.
"$VENV/bin/python" -m pip install -q --no-deps "vbench==0.1.5"
# camera_motion needs VBench's source tree and co-tracker's hub repo, both pinned (eval/scoring/code.py): cloned
# into $SKYREELS_CACHE/src where there is internet; otherwise one line says camera_motion is unavailable.
"$VENV/bin/python" -m eval.scoring.code fetch || true
# --- detectron2, for VBench's GRiT dimensions (object_class, multiple_objects, color, spatial_relationship) ---
# No wheel on PyPI (its one sdist, detectron2-cdo 0.5, lacks its C++ sources): built from git at the pinned
# commit (eval.scoring.weights.DETECTRON2_COMMIT) against the installed torch, only where github is reachable,
# with VBench's other GRiT imports (pyproject's `grit` extra). Elsewhere: one line, and no GRiT dimensions.
GRIT_DIMS="object_class, multiple_objects, color, spatial_relationship"
if "$VENV/bin/python" -c "import detectron2" >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip install -q -e ".[grit]"
elif GIT_TERMINAL_PROMPT=0 timeout 10 git ls-remote --exit-code https://github.com/facebookresearch/detectron2.git HEAD >/dev/null 2>&1; then
  D2_COMMIT=$("$VENV/bin/python" -c "from eval.scoring.weights import DETECTRON2_COMMIT; print(DETECTRON2_COMMIT)")
  if "$VENV/bin/python" -m pip install -q -e ".[grit]" && "$VENV/bin/python" -m pip install -q --no-build-isolation \
      "git+https://github.com/facebookresearch/detectron2.git@$D2_COMMIT"; then
    echo "setup: detectron2 $D2_COMMIT installed (GRiT dimensions: $GRIT_DIMS)"
  else
    echo "setup: detectron2 $D2_COMMIT did not build here (see above): the GRiT dimensions ($GRIT_DIMS) are unavailable"
  fi
else
  echo "setup: github.com is not reachable, so detectron2 is not installed: the GRiT dimensions ($GRIT_DIMS) are unavailable"
fi
# --- end detectron2 ---
echo "setup complete: $("$VENV/bin/python" -c 'import torch, diffusers, transformers; print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)')"
