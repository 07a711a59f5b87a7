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
# cores pays: 8 on the 2-core machine (measured: 4 workers 113 s, 6: 103 s, 8: 91 s). A test file stays
# on one worker, so module fixtures start once.
TEST_WORKERS ?= 8
# Some machines set PYTHONDONTWRITEBYTECODE: then each of the suite's ~45 Python processes (workers,
# bots under test) compiles every module again. Byte code is compiled once, up front, instead.
unexport PYTHONDONTWRITEBYTECODE

test: $(STAMP) browser
	$(PY) -m compileall -q bot checks
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The browser test drives Debian's chromium (no browser download works here); install what is missing.
# The emoji font is checked on its own: a machine may have chromium without it, and the page's emoji
# (all but the status marks, which are drawn) would show as empty boxes.
APT_NEED = $(strip $(if $(shell command -v chromium),,chromium) \
	$(if $(wildcard /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf),,fonts-noto-color-emoji))
browser:
	@[ -z "$(APT_NEED)" ] || { command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_NEED); } \
		>/dev/null; } || echo "$(APT_NEED) could not be installed: the browser test will be skipped or fail (outside CI)"

# make demo PORT=8080. A taken port gets one line from the playground; make adds no second one.
PORT ?= 3000
demo: $(STAMP)
	@$(VENV)/bin/aprity-diagnose playground --port $(PORT) || [ $$? -eq 2 ]

bench: $(STAMP)
	$(PY) bench/bench_ack.py
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_diagnosis.py
	$(PY) bench/bench_local_work.py
	$(PY) bench/bench_memory.py
	$(PY) bench/bench_slow_clients.py

clean:
	rm -rf $(VENV) build *.egg-info
