#!/bin/sh
# Build aprity-diagnose's wheel from a checkout and install it, non-editable, into a virtualenv:
# first the pinned runtime dependencies (requirements.txt, what CI tested), then the wheel alone.
# The Dockerfile runs this, and so does tests/deploy/test_wheel.py: what CI proves is what the image does.
#
# usage: scripts/install-wheel.sh SOURCE_DIR VENV_DIR
#   PYTHON  interpreter that makes the venv (default: python3)
set -eu

src=$(cd "$1" && pwd)
venv=$2
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Build from a clean copy of the sources: setuptools reuses build/ in the tree it builds from,
# which may still hold modules deleted since, and they would end up in the wheel.
mkdir "$work/src"
tar -C "$src" -cf - --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
    --exclude=./artifacts --exclude='*.egg-info' --exclude=__pycache__ --exclude='*.db' . \
    | tar -C "$work/src" -xf -

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$work/src/requirements.txt"
"$venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps "$work/src" -w "$work/dist"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$work"/dist/*.whl
# Nothing missing, nothing in conflict: the pins cover every requirement of the wheel.
"$venv/bin/python" -m pip check
