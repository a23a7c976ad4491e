"""The scenelang language server (`scenelang lsp`, docs/lsp.md), on pygls.

A layer between `cli` and the language core: it imports the parser, validator, printer,
reference, AST and errors (and the grammar, for a parse tree with token positions), nothing of
the compiler, backends or stages. Modules: `server` (pygls wiring, stdio or TCP), `positions`
(spans and offsets to LSP positions in the negotiated encoding), `diagnostics` (what `check`
reports), `hover`, `completion` (on `context`, a tolerant reading of half-written text),
`symbols` (definition, references, rename) and `formatting` (what `fmt` prints).
"""
