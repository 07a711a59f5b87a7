VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/aprity-diagnose demo

bench: $(STAMP)
	$(PY) bench/bench_diagnosis.py
	$(PY) bench/bench_ack.py
	$(PY) bench/bench_slow_clients.py

clean:
	rm -rf $(VENV) build *.egg-info
