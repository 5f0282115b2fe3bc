#!/usr/bin/env bash
# Print the Python that scripts/setup.sh builds the venv with: $PYTHON if set, otherwise the first of python3.11,
# python3.12 and python3 that runs, is 3.11 or 3.12 (pyproject.toml's requires-python) and can make a venv.
# With none, stop at once, saying what was found and why.
set -uo pipefail

# Python 3.13 is out: numpy<2, which VBench's human_action needs (it imports numpy.lib.function_base, removed in
# numpy 2), has no 3.13 wheels on PyPI: `pip download --no-deps --python-version 3.13 --only-binary=:all:
# "numpy>=1.24,<2"` finds none ("from versions: 2.1.0, 2.1.1, ...": numpy's first 3.13 wheels are 2.1.0).
WHY_NOT_313="Python 3.13 is not supported: numpy<2, which VBench's human_action needs, has no wheels for 3.13 on PyPI (numpy's first 3.13 wheels are 2.1.0)"

if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); else candidates=(python3.11 python3.12 python3); fi
found=()
for candidate in "${candidates[@]}"; do
  if ! command -v "$candidate" >/dev/null 2>&1; then
    found+=("$candidate: not found")
    continue
  fi
  # "3.12 venv", or "3.12 no-venv" where the distribution ships venv's ensurepip apart (Debian: python3.12-venv)
  facts=$("$candidate" -c 'import importlib.util as u, sys; print("%d.%d" % sys.version_info[:2], "venv" if u.find_spec("ensurepip") else "no-venv")' 2>/dev/null) || facts=""
  case "$facts" in
    "3.11 venv" | "3.12 venv") echo "$candidate"; exit 0 ;;
    "3.11 no-venv" | "3.12 no-venv") found+=("$candidate: Python ${facts% *} without venv (install python${facts% *}-venv)") ;;
    "") found+=("$candidate: does not run") ;;
    *) found+=("$candidate: Python ${facts% *}") ;;
  esac
done
{
  echo "setup: no supported Python. This project supports Python 3.11 and 3.12 (pyproject.toml requires-python); found:"
  printf '  %s\n' "${found[@]}"
  echo "$WHY_NOT_313."
  echo "Install Python 3.12 or 3.11 (your distribution's python3.12 and python3.12-venv, or 'pyenv install 3.12') and rerun,"
  echo "or point PYTHON at one: PYTHON=/path/to/python3.12 bash scripts/setup.sh"
} >&2
exit 1
