# The two commands of the README. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-all: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[all]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed-all
	rm -rf runs/demo
	@echo "== a network built from bare tensors learns the circles (examples/demo.py)"
	$(BIN)/python examples/demo.py
	@echo "== retrograd train, on circles and on the 8x8 handwritten digits"
	$(BIN)/retrograd train --dataset circles --out runs/demo/circles
	$(BIN)/retrograd train --dataset digits --out runs/demo/digits
	@echo "pictures: runs/demo/circles/{loss,accuracy,decision_boundary}.png and" \
	      "runs/demo/digits/{loss,accuracy}.png"
	@echo "== backpropagation through (u + v) * w, step by step"
	$(BIN)/retrograd explain "(u + v) * w" --at u=2,v=3,w=4 --out runs/demo/explain

# the lint and type gate first (a few seconds, configured in pyproject.toml), then the suite
test: $(VENV)/.installed-test
	$(BIN)/ruff check retrograd tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench.py
