#!/usr/bin/env bash
# CI: the default job on Python 3.12 too (issue 12, part 4). A second venv, .venv312, set up by scripts/setup.sh
# with PYTHON pointing at a Python 3.12, runs the README's smoke job; its videos (sha256) and its results (every
# dimension's raw value, the groups, Total) must equal those of the same job in the main venv.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
py312=""
# pyenv's python3.12 shim runs only where 3.12 is selected, so pyenv's versions folder is looked in too.
for candidate in python3.12 "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python3.12; do
  if [ "$(PYTHON=$candidate bash scripts/pick_python.sh 2>/dev/null)" = "$candidate" ] \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then
    py312=$candidate
    break
  fi
done
if [ -z "$py312" ]; then
  echo "CI: no Python 3.12 on this machine, so the default job was not run on 3.12"
  exit 0
fi
PYTHON=$py312 VENV=.venv312 bash scripts/setup.sh
# the pinned VBench source and co-tracker beside the checkout, where CI has them, so that the job is complete
third_party=../shared/third_party
if [ -d "$third_party/VBench-45e79ec" ] && [ -d "$third_party/co-tracker-fac2798" ]; then
  export SKYREELS_VBENCH_SRC=$PWD/$third_party/VBench-45e79ec SKYREELS_COTRACKER_SRC=$PWD/$third_party/co-tracker-fac2798
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for venv in .venv312 .venv; do  # 3.12 first: it builds the tiny checkpoints and fixtures where none are cached
  "$venv/bin/python" -m eval.run +suite=smoke run.root="$root/$venv" >"$root/$venv.log" 2>&1 \
    || { cat "$root/$venv.log"; echo "CI: the smoke job failed in $venv" >&2; exit 1; }
done
.venv/bin/python - "$root/.venv" "$root/.venv312" "$("$py312" --version)" "$((SECONDS - start))" <<'PY'
import json, sys
from pathlib import Path

(a_root, b_root), version, seconds = map(Path, sys.argv[1:3]), sys.argv[3], sys.argv[4]
(a,) = a_root.glob("smoke/*/results.json")
(b,) = b_root.glob("smoke/*/results.json")
assert a.relative_to(a_root) == b.relative_to(b_root), f"different run folders (fingerprints): {a} {b}"
ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
videos = [v["sha256"] for v in ra["videos"]]
assert videos == [v["sha256"] for v in rb["videos"]], "the videos differ between Python 3.11 and 3.12"
raw = {d: e["raw"] for d, e in ra["dimensions"].items()}
assert raw == {d: e["raw"] for d, e in rb["dimensions"].items()}, "the scores differ between Python 3.11 and 3.12"
assert (ra["groups"], ra["total"], ra["status"]) == (rb["groups"], rb["total"], rb["status"])
print(f"CI: {version}: the smoke job's {len(videos)} videos are byte-identical and its {len(raw)} dimensions, "
      f"groups and Total ({ra['status']}) identical to the main venv's ({seconds} s with setup)")
PY
