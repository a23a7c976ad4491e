"""Positioned errors: every problem scenelang reports names a file, line and column.

`SceneError` is the one exception type the parser, validator and patch engine raise. It carries
one or more `Diagnostic`s, each with a `Span`, and formats them compiler-style::

    scene.sl:4:31: error: roughness must be at most 1, got 1.5
        material red = principled(roughness=1.5)
                                  ^~~~~~~~~~~~~
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A source range. Lines and columns start at 1; `end_column` is exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    file: str | None = None

    def label(self) -> str:
        return f"{self.file or '<string>'}:{self.line}:{self.column}"


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One message about one place in a source text."""

    message: str
    span: Span | None = None
    severity: Severity = "error"
    hint: str | None = None

    def format(self, source: str | None = None, color: bool = False) -> str:
        where = self.span.label() if self.span else "<scene>"
        kind = self.severity
        if color:
            tint = "\033[1;31m" if kind == "error" else "\033[1;33m"
            head = f"\033[1m{where}:\033[0m {tint}{kind}:\033[0m {self.message}"
        else:
            head = f"{where}: {kind}: {self.message}"
        lines = [head]
        if source is not None and self.span is not None:
            lines.extend(_excerpt(source, self.span))
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


def _excerpt(source: str, span: Span) -> list[str]:
    """The source line of `span` and a caret line under it (tabs kept so columns line up)."""
    all_lines = source.splitlines()
    if not 1 <= span.line <= len(all_lines):
        return []
    text = all_lines[span.line - 1]
    if len(text) > 200:
        start = max(0, span.column - 80)
        text = text[start : start + 160]
        column = span.column - start
    else:
        column = span.column
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = min(span.end_column - span.column, max(1, len(text) - column + 1))
    pad = "".join(ch if ch == "\t" else " " for ch in text[: column - 1])
    printable = "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)
    return ["    " + printable, "    " + pad + "^" + "~" * (width - 1)]


@dataclass
class SceneError(Exception):
    """One or more positioned diagnostics. `source` (the text) lets `format` show excerpts."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: str | None = None

    def __init__(self, diagnostics: Diagnostic | str | Iterable[Diagnostic], span: Span | None = None,
                 source: str | None = None, source_file: str | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(diagnostics, span)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        self.source = source
        self.source_file = source_file
        super().__init__(self.summary())

    def with_source(self, source: str | None, file: str | None = None) -> SceneError:
        """Attach the text the spans point into (only diagnostics in `file` get excerpts)."""
        self.source, self.source_file = source, file
        return self

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def summary(self) -> str:
        return "; ".join(
            f"{d.span.label() + ': ' if d.span else ''}{d.message}" for d in self.diagnostics
        )

    def format(self, color: bool = False) -> str:
        return "\n".join(d.format(self._source_for(d), color) for d in self.diagnostics)

    def _source_for(self, d: Diagnostic) -> str | None:
        if self.source_file and d.span is not None and d.span.file not in (None, self.source_file):
            return None
        return self.source

    def __str__(self) -> str:
        return self.format()


def span_from_meta(meta, file: str | None) -> Span | None:
    """A Span from a Lark `meta` / token (None when Lark gave no position)."""
    line = getattr(meta, "line", None)
    if line is None:
        return None
    return Span(
        line=line,
        column=meta.column,
        end_line=getattr(meta, "end_line", None) or line,
        end_column=getattr(meta, "end_column", None) or meta.column + 1,
        file=file,
    )


def with_article(word: str) -> str:
    """`word` with its indefinite article: "a shape", "an object"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
