// Tokenize files with a TextMate grammar, as VS Code does (vscode-textmate + the Oniguruma
// regex engine compiled to WebAssembly, from the root package.json's devDependencies).
// usage: node tokenize.cjs GRAMMAR.json FILE...  -> JSON on stdout:
//   [{"file": F, "lines": [[{"text": T, "scopes": [S, ...]}, ...], ...]}, ...]
// Every regex the tokenizer reaches is compiled by Oniguruma; a bad one is an error (exit 1).
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () => vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath),
  });
  const raw = JSON.parse(fs.readFileSync(grammarPath, 'utf8'));
  const grammar = await registry.loadGrammar(raw.scopeName);
  const out = [];
  for (const file of files) {
    let stack = vsctm.INITIAL;
    const lines = [];
    for (const line of fs.readFileSync(file, 'utf8').split(/\r\n|\r|\n/)) {
      const result = grammar.tokenizeLine(line, stack);
      lines.push(result.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes })));
      stack = result.ruleStack;
    }
    out.push({ file, lines });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`tokenize: ${error.stack || error}\n`);
  process.exit(1);
});
