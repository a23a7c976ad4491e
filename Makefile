# scenelang: every target creates .venv on first use and installs the project into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: demo lint test bench bench-batch stress gallery clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (the bpy wheel needs Python 3.11 exactly)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,blender,ray,lsp]'
	touch $(STAMP)

# Node tools the tests use (gltf-validator, vsce): package.json, pinned by package-lock.json
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found (the glTF validator and vsce need Node.js >= 20)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP) $(NODE_STAMP)
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
	rm -rf $(VENV) node_modules build *.egg-info .pytest_cache .hypothesis
