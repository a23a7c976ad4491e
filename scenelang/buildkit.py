"""Shared pieces of the parse-time AST builder (`scenelang.build` and its rule mixins): the
`FAILED` marker for a subtree that had errors, token spans, and the `collecting` wrapper that
records a rule's unexpected failure instead of raising it into the parser."""

from __future__ import annotations

import functools

from lark import Token

from scenelang.errors import Diagnostic, SceneError, Span


class _Failed:
    """Marks a subtree that had errors (already recorded); parents skip building."""


FAILED = _Failed()


def token_span(tok: Token, file: str | None) -> Span:
    return Span(line=tok.line, column=tok.column, end_line=tok.end_line or tok.line,
                end_column=tok.end_column or tok.column + len(tok), file=file)


def collecting(method):
    """Wrap a rule method so an unexpected exception is recorded, not raised into the parser.

    Lark calls rule methods during the parse; letting an exception escape would hide a syntax
    error later in the file. The first such problem is reported (with the problems found before
    it) once the whole input has parsed, as a transformation of a finished tree would.
    """

    @functools.wraps(method)
    def wrapper(self, children):
        if self.crashed is not None:
            return FAILED
        try:
            return method(self, children)
        except RecursionError:
            raise
        except SceneError as exc:
            self.crashed = (len(self.diagnostics), list(exc.diagnostics))
        except Exception as exc:
            self.crashed = (len(self.diagnostics), [Diagnostic(f"invalid input: {exc}", Span(file=self.file))])
        return FAILED

    return wrapper
