# scenelang: every target creates .venv on first use and installs the project into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
VSCODE_STAMP := editors/vscode/node_modules/.installed-stamp
VSIX ?= build/scenelang-vscode.vsix

.PHONY: demo lint test bench bench-batch stress gallery vscode addon mutation clean

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

# The VS Code extension's one runtime dependency (vscode-languageclient), pinned by its own lock
$(VSCODE_STAMP): editors/vscode/package.json editors/vscode/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found (the VS Code extension needs Node.js >= 20)"; exit 1; }
	cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error --prefer-offline
	touch $(VSCODE_STAMP)

# editors/vscode -> $(VSIX) (install it with `code --install-extension $(VSIX)`; docs/lsp.md)
vscode: $(NODE_STAMP) $(VSCODE_STAMP)
	mkdir -p $(dir $(abspath $(VSIX)))
	cd editors/vscode && ../../node_modules/.bin/vsce package --allow-missing-repository --out $(abspath $(VSIX))

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .

test: lint $(VSCODE_STAMP)
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

# mutation testing (mutmut, the `mutation` extra) of the modules where a silent bug costs most;
# slow (see docs/testing.md), not part of `make test`; report: build/mutation/report.md
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	nice -n 10 $(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

# the Blender add-on (File > Import/Export > scenelang), docs/blender-addon.md
addon: $(STAMP)
	$(BIN)/python scripts/build_addon.py build/scenelang_blender.zip

clean:
	rm -rf $(VENV) node_modules editors/vscode/node_modules build *.egg-info .pytest_cache .hypothesis
