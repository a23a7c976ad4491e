"""Completion: what may be written at the cursor, from `scenelang.lsp.context`.

- outside sections: the header `scenelang 1`, then the section names not yet written;
- at a statement's start: the statement keywords of the section (`shape` in geometry, `object`
  and `camera` in composition, ...);
- after `shape NAME =`: primitives, CSG operations and shapes defined earlier; after
  `object NAME =`: the defined shapes; after `material NAME =`: `principled`; after
  `light NAME =`: the light kinds;
- after a statement's head: its clauses not yet given (`at`, `rotate`, `scale`, `material`,
  camera and world clauses), and the section's statement keywords;
- after an object's `material` clause: the defined materials;
- inside `box(`, `principled(`, `sun(`...: the parameters not yet given (inserted as `name=`);
  after a choice parameter's `=` (an area light's `shape=`): its choices; inside a CSG
  operation: operand shapes, and transforms after an operand.

Items carry the parameter's type, default, range and unit (as hover shows them).
"""

from __future__ import annotations

import typing
from typing import Literal, get_args, get_origin

from lsprotocol import types as T

from scenelang import ast as A
from scenelang.lsp.context import STATEMENTS_OF, Context, context_at
from scenelang.lsp.hover import CLAUSE_MODELS, KEYWORDS, KINDS, clause_names, describe_param, kind_markdown
from scenelang.reference import param_info

K = T.CompletionItemKind


def _markdown(text: str) -> T.MarkupContent:
    return T.MarkupContent(kind=T.MarkupKind.Markdown, value=text)


def _keyword(word: str, insert: str | None = None) -> T.CompletionItem:
    doc = KEYWORDS.get(word)
    return T.CompletionItem(label=insert or word, kind=K.Keyword, insert_text=insert,
                            documentation=_markdown(doc) if doc else None)


def _kinds(names: typing.Iterable[str]) -> list[T.CompletionItem]:
    return [T.CompletionItem(label=n, kind=K.Function, detail="CSG operation" if n in A.CSG_OPS
                             else None, documentation=_markdown(kind_markdown(n))) for n in names]


def _names(names: typing.Iterable[str], what: str) -> list[T.CompletionItem]:
    kind = K.Class if what == "shape" else K.Color
    return [T.CompletionItem(label=n, kind=kind, detail=f"{what} {n}") for n in names]


def _params(cls: type[A.Node], owner: str, given: list[str], clause: bool = False) -> list[T.CompletionItem]:
    items = []
    names = clause_names(owner) if clause else A.param_names(cls)
    for i, name in enumerate(names):
        if name in given or (not clause and name in A.ShapeBase.TRANSFORMS and issubclass(cls, A.ShapeBase)):
            continue
        p = param_info(cls, name)
        items.append(T.CompletionItem(
            label=name, kind=K.Property if not clause else K.Keyword,
            insert_text=name if clause else f"{name}=", detail=describe_param(p),
            documentation=_markdown(p.description), sort_text=f"{i:03d}"))
    return items


def _choices(cls: type[A.Node] | None, param: str | None) -> list[T.CompletionItem]:
    if cls is None or param not in cls.model_fields:
        return []
    tp = cls.model_fields[param].annotation
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) is not Literal:
        return []
    return [T.CompletionItem(label=str(c), kind=K.EnumMember) for c in get_args(tp)]


def _shape_heads(ctx: Context) -> list[T.CompletionItem]:
    earlier = ctx.defined("shape", before=ctx.statement_start)
    return _kinds(list(A.PRIMITIVES) + list(A.CSG_OPS)) + _names(earlier, "shape")


GROUP_MEMBERS = ("object", "group", "light")
"""Statement keywords inside a composition group (`ast.MEMBER_STMTS`; instances and arrays are
`object` statements)."""


def _statement_keywords(ctx: Context) -> list[T.CompletionItem]:
    if sum(f.kind == "section" for f in ctx.frames) > 1:  # inside a group's braces
        return [_keyword(k) for k in GROUP_MEMBERS]
    return [_keyword(k) for k in STATEMENTS_OF.get(ctx.section or "", ())]


def complete(text: str, offset: int) -> list[T.CompletionItem]:
    """The completion items at `offset` (text already normalised); empty inside comments."""
    ctx = context_at(text, offset)
    if ctx.in_comment:
        return []
    top = ctx.top
    if top is None:
        if not ctx.header:
            return [_keyword("scenelang", "scenelang 1")]
        lets = [] if ctx.sections else [_keyword("let")]  # constants come before any section
        return lets + [_keyword(s) for s in A.SECTION_NAMES if s not in ctx.sections]
    if top.kind == "vector":
        return []
    if top.kind == "call":
        if top.name in A.CSG_OPS:
            if top.state == "item":
                return _shape_heads(ctx)
            if top.state in ("name", "after"):
                return [_keyword(t) for t in A.ShapeBase.TRANSFORMS if t not in top.given]
            return []
        cls = KINDS.get(top.name or "")
        if cls is None:
            return []
        if top.state == "item":
            return _params(cls, top.name or "", top.given)
        if top.state == "value":
            if cls is A.Principled and top.last in ("base_color", "roughness", "bump"):
                return _names(ctx.defined("texture"), "texture") + _choices(cls, top.last)
            return _choices(cls, top.last)
        return []
    # in a section, outside brackets
    if ctx.statement is None:
        return _statement_keywords(ctx)
    if ctx.state == "head":
        if ctx.statement == "shape":
            return _shape_heads(ctx)
        if ctx.statement == "object":
            return _names(ctx.defined("shape"), "shape")
        if ctx.statement == "material":
            return _kinds(A.MATERIAL_KINDS)
        if ctx.statement == "texture":
            return _kinds(A.TEXTURE_KINDS)
        if ctx.statement == "light":
            return _kinds(A.LIGHT_KINDS)
        return []
    if ctx.state == "value":
        if ctx.statement == "object" and ctx.clause == "material":
            return _names(ctx.defined("material"), "material")
        return _choices(CLAUSE_MODELS.get(ctx.statement), ctx.clause)
    if ctx.state == "clause":
        items = []
        model = CLAUSE_MODELS.get(ctx.statement)
        if model is not None:
            items = _params(model, ctx.statement, ctx.clauses, clause=True)
        return items + _statement_keywords(ctx)
    return []
