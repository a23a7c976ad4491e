"""Diagnostics: the problems `scenelang check` reports, as LSP diagnostics.

The same steps as `scenelang check` (`scenelang.api.check`: `parse_scene`, then `validate`; this
layer reads the language core directly, not the API), so every message, severity and position
is the one `check` prints (tests/lsp compares the two): the message is `Diagnostic.message`,
with the hint (if any) on a second line `hint: ...` as check prints it; the range is the span
converted to LSP positions (`scenelang.lsp.positions`).
"""

from __future__ import annotations

from lsprotocol import types as T

from scenelang.errors import Diagnostic, SceneError
from scenelang.lsp.positions import Text
from scenelang.parser import parse_patch, parse_scene
from scenelang.validate import validate

SOURCE = "scenelang"
SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning}


def scene_diagnostics(text: str, file: str | None = None, patch: bool = False) -> list[Diagnostic]:
    """What `scenelang check` finds in `text` (normalised), errors and warnings, in its order.
    With `patch`, the text is a patch file (`.slp`): what parsing it finds (its syntax and the
    statements it adds; `set` values, the `let` constants it may use and whether it applies
    depend on the scene it is applied to, which `scenelang patch` checks)."""
    try:
        if patch:
            parse_patch(text, file)
            return []
        return validate(parse_scene(text, file))
    except SceneError as exc:
        if patch:  # the scene's `let` constants are not known here: only it can tell
            return [d for d in exc.diagnostics if not d.message.startswith("unknown constant '")]
        return list(exc.diagnostics)


def to_lsp(d: Diagnostic, doc: Text) -> T.Diagnostic:
    message = d.message if not d.hint else f"{d.message}\nhint: {d.hint}"
    return T.Diagnostic(range=doc.span_range(d.span), message=message,
                        severity=SEVERITY.get(d.severity, T.DiagnosticSeverity.Error),
                        source=SOURCE)


def diagnostics(doc: Text, file: str | None = None, patch: bool = False) -> list[T.Diagnostic]:
    """The LSP diagnostics of one document (a patch file with `patch`)."""
    return [to_lsp(d, doc) for d in scene_diagnostics(doc.text, file, patch)]
