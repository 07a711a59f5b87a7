VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench clean browser

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The suite mostly waits (processes starting, servers answering, a browser), so more workers than
# cores pays: 4 on the 2-core machine. A test file stays on one worker, so module fixtures start once.
TEST_WORKERS ?= 4
# Some machines set PYTHONDONTWRITEBYTECODE: then each of the suite's ~45 Python processes (workers,
# bots under test) compiles every module again. Byte code is compiled once, up front, instead.
unexport PYTHONDONTWRITEBYTECODE

test: $(STAMP) browser
	$(PY) -m compileall -q bot checks
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The browser test drives Debian's chromium (no browser download works here); install it when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji; } \
		>/dev/null; } || echo "chromium could not be installed: the browser test will be skipped (outside CI)"

demo: $(STAMP)
	$(VENV)/bin/aprity-diagnose playground

bench: $(STAMP)
	$(PY) bench/bench_ack.py
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_diagnosis.py
	$(PY) bench/bench_local_work.py
	$(PY) bench/bench_memory.py
	$(PY) bench/bench_slow_clients.py

clean:
	rm -rf $(VENV) build *.egg-info
