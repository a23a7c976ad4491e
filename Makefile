# scenelang: every target creates .venv on first use and installs the project into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo lint test bench bench-batch stress gallery clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (the bpy wheel needs Python 3.11 exactly)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,blender,ray]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python scripts/bench/run.py

bench-batch: $(STAMP)
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/python -m scenelang.stages.batch.throughput

stress: $(STAMP)
	SCENELANG_STRESS=1 $(BIN)/python -m pytest -q -m "blender or slow or property"

gallery: $(STAMP)
	$(BIN)/python scripts/gallery.py --readme README.md
	$(BIN)/python scripts/clevr_gallery.py --readme README.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
