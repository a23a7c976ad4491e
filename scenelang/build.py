"""The AST builder the Lark LALR parser runs during the parse (its `transformer=`).

Each rule method takes the rule's children and returns an AST node (or a `_Call`/`_Clause`
that its parent types against the models through `scenelang.coerce`). Problems are collected as
positioned diagnostics instead of being raised into the parser, so one parse reports every
problem of a file; `FAILED` marks a subtree that had errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Token

from scenelang import ast as A
from scenelang.build_constants import ConstantRules, describe
from scenelang.buildkit import FAILED, _Failed
from scenelang.buildkit import collecting as _collecting
from scenelang.buildkit import token_span as _token_span
from scenelang.coerce import build_node, suggest
from scenelang.errors import Diagnostic, SceneError, Span, with_article
from scenelang.literals import LiteralError, color_node, quantity, vector_items

_ESCAPE = re.compile(r"\\(.)")  # the grammar allows only \" and \\


@dataclass
class _Call:
    name: str
    name_span: Span | None
    kwargs: list[tuple[str, Span | None, A.Node]]
    positional: list[Any]
    span: Span | None


@dataclass
class _Clause:
    name: str
    name_span: Span | None
    value: A.Node




class AstBuilder(ConstantRules):
    """Lark's `transformer=`: rule methods take the rule's children and run during the parse.

    One instance is bound to the cached Lark parser; `reset` prepares it for a parse.
    """

    def __init__(self):
        self.file: str | None = None
        self.diagnostics: list[Diagnostic] = []
        self.comments: list[Token] = []
        self.crashed: tuple[int, list[Diagnostic]] | None = None
        self.reset_constants(None)

    def reset(self, file: str | None, constants: dict[str, float] | None = None) -> None:
        self.file = file
        self.diagnostics = []
        self.comments.clear()  # the lexer callback holds this list's `append`
        self.crashed = None
        self.reset_constants(constants)

    def finish(self) -> list[Diagnostic]:
        """The parse's diagnostics (up to and including an unexpected failure, if one happened)."""
        if self.crashed is None:
            return self.diagnostics
        count, extra = self.crashed
        return self.diagnostics[:count] + extra

    # helpers --------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return _token_span(tok, self.file)

    @staticmethod
    def _join(start: Span | None, end: Span | None) -> Span | None:
        """The span from the start of `start` to the end of `end`."""
        if start is None or end is None:
            return start or end
        return Span(line=start.line, column=start.column, end_line=end.end_line,
                    end_column=end.end_column, file=start.file)

    def _error(self, message: str, span: Span | None, hint: str | None = None) -> _Failed:
        self.diagnostics.append(Diagnostic(message, span, hint=hint))
        return FAILED

    def _guard(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SceneError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return FAILED

    # values ---------------------------------------------------------------
    def _quantity(self, tok: Token) -> A.Number | _Failed:
        span = _token_span(tok, self.file)
        try:
            value, unit = quantity(str(tok))
        except LiteralError as exc:
            return self._error(str(exc), span)
        return A.Number(value=value, unit=unit, span=span)

    @_collecting
    def number(self, children):
        return self._quantity(children[0])

    @_collecting
    def color(self, children):
        return color_node(str(children[0]), _token_span(children[0], self.file))

    @_collecting
    def vector(self, children):
        opening, *items, closing = [t for t in children if t is not None]
        for item in items:
            if isinstance(item, A.Ident):
                self.undefined.append((item.name, item.span))
        if any(i is FAILED or isinstance(i, A.Ident) for i in items):
            return FAILED
        for item in items:
            if not isinstance(item, A.Number):
                return self._error(f"a vector's components are numbers, not {describe(item)}", item.span,
                                   hint="write (x, y, z) with numbers or `let` constants")
        span = self._join(self._tok(opening), self._tok(closing))
        if len(items) > 4:
            return self._error(f"a vector has at most 4 components, got {len(items)}", span)
        return A.Vector(items=tuple(items), span=span)

    @_collecting
    def vector_token(self, children):
        tok = children[0]
        items = []
        for piece, span in vector_items(str(tok), tok.line, tok.column, self.file):
            try:
                value, unit = quantity(piece)
            except LiteralError as exc:
                items.append(self._error(str(exc), span))
                continue
            items.append(A.Number(value=value, unit=unit, span=span))
        if any(i is FAILED for i in items):
            return FAILED
        span = _token_span(tok, self.file)
        if len(items) > 4:
            return self._error(f"a vector has at most 4 components, got {len(items)}", span)
        return A.Vector(items=tuple(items), span=span)

    @_collecting
    def list_value(self, children):
        opening, *items, closing = [c for c in children if c is not None]
        if any(i is FAILED for i in items):
            return FAILED
        for item in items:
            if not isinstance(item, (A.Number, A.Vector, A.HexColor, A.Ident, A.String)):
                return self._error(f"a list holds numbers, points, colours, names or strings, not {describe(item)}",
                                   item.span, hint="lists do not nest: write [(x, y), (x, y), ...]")
        return A.ListValue(items=tuple(items), span=self._join(self._tok(opening), self._tok(closing)))

    @_collecting
    def string(self, children):
        tok = children[0]
        span = _token_span(tok, self.file)
        text = _ESCAPE.sub(r"\1", str(tok)[1:-1])
        if len(text) > 1024:
            return self._error(f"string is too long ({len(text)} characters; the limit is 1024)", span)
        return A.String(value=text, span=span)

    # calls and clauses ----------------------------------------------------
    @_collecting
    def kwarg(self, children):
        name, value = children
        return ("kwarg", str(name), _token_span(name, self.file), value)

    @_collecting
    def clause(self, children):
        name, value = children
        if value is FAILED:
            return FAILED
        return _Clause(str(name), _token_span(name, self.file), value)

    @_collecting
    def call(self, children):
        name_tok, *args, closing = children
        args = [a for a in args if a is not None]
        if any(a is FAILED for a in args) or any(isinstance(a, tuple) and a[3] is FAILED for a in args):
            return FAILED
        kwargs = [a[1:] for a in args if isinstance(a, tuple) and a[0] == "kwarg"]
        positional = [a for a in args if not (isinstance(a, tuple) and a[0] == "kwarg")]
        return _Call(str(name_tok), self._tok(name_tok), kwargs, positional,
                     self._join(self._tok(name_tok), self._tok(closing)))

    @_collecting
    def shape_expr(self, children):
        head, *clauses = children
        if head is FAILED or any(c is FAILED for c in clauses):
            return FAILED
        start = self._tok(head) if isinstance(head, Token) else head.span
        span = self._join(start, clauses[-1].value.span if clauses else start)
        transforms = self._transforms(clauses)
        if transforms is FAILED:
            return FAILED
        if isinstance(head, Token):
            return self._guard(build_node, A.Ref, [], span, fixed={"name": str(head), **transforms},
                               allowed=[], what="shape reference")
        call: _Call = head
        if call.name in A.CSG_OPS:
            if call.kwargs:
                name, name_span, _ = call.kwargs[0]
                return self._error(f"{call.name}() takes shapes, not named parameters like '{name}='",
                                   name_span)
            if len(call.positional) < 2:
                return self._error(f"{call.name}() needs at least two shapes", span)
            return self._guard(lambda: A.Csg(kind=call.name, operands=tuple(call.positional),
                                             span=span, **transforms))
        cls = A.PRIMITIVES.get(call.name)
        if cls is None:
            choices = list(A.PRIMITIVES) + list(A.CSG_OPS)
            return self._error(f"unknown shape '{call.name}'{suggest(call.name, choices)}",
                               call.name_span, hint=f"shapes: {', '.join(choices)}")
        if call.positional:
            return self._error(f"{call.name}() takes named parameters, e.g. "
                               f"{call.name}({A.required_params(cls)[0]}=...)", span)
        return self._guard(build_node, cls, call.kwargs, span, fixed=transforms,
                           allowed=[p for p in A.param_names(cls) if p not in A.ShapeBase.TRANSFORMS])

    def _transforms(self, clauses: list[_Clause]) -> dict | _Failed:
        out: dict[str, Any] = {}
        ok = True
        for c in clauses:
            if c.name not in A.ShapeBase.TRANSFORMS:
                self._error(f"unknown transform '{c.name}' on a shape{suggest(c.name, A.ShapeBase.TRANSFORMS)}",
                            c.name_span, hint="shapes take: at, rotate, scale")
                ok = False
                continue
            if c.name in out:
                self._error(f"'{c.name}' given twice", c.name_span)
                ok = False
                continue
            node = self._guard(build_node, A.ShapeBase, [(c.name, c.name_span, c.value)], None,
                               allowed=A.ShapeBase.TRANSFORMS, what="shape")
            if node is FAILED:
                ok = False
                continue
            out[c.name] = getattr(node, c.name)
            if node.exprs:  # arithmetic in a transform, kept on the shape (Node.exprs)
                out["exprs"] = out.get("exprs", ()) + node.exprs
        return out if ok else FAILED

    # statements -----------------------------------------------------------
    def _clause_params(self, clauses) -> list | _Failed:
        if any(c is FAILED for c in clauses):
            return FAILED
        return [(c.name, c.name_span, c.value) for c in clauses]

    def _stmt_span(self, keyword: Token, last) -> Span:
        """From the statement's keyword to its last token or node."""
        end = last if isinstance(last, Span) else (
            self._tok(last) if isinstance(last, Token) else getattr(last, "span", None))
        return self._join(self._tok(keyword), end)

    @_collecting
    def shape_stmt(self, children):
        keyword, name, shape = children
        if shape is FAILED:
            return FAILED
        return self._guard(lambda: A.ShapeDef(name=str(name), shape=shape,
                                              span=self._stmt_span(keyword, shape)))

    def _typed_call(self, keyword, name, call, kinds: dict, stmt_cls, field: str, what: str):
        if call is FAILED:
            return FAILED
        cls = kinds.get(call.name)
        if cls is None:
            return self._error(f"unknown {what} type '{call.name}'{suggest(call.name, kinds)}",
                               call.name_span, hint=f"{what} types: {', '.join(kinds)}")
        if call.positional:
            return self._error(f"{call.name}() takes named parameters only", call.span)
        node = self._guard(build_node, cls, call.kwargs, call.span)
        if node is FAILED:
            return FAILED
        return self._guard(lambda: stmt_cls(name=str(name), span=self._stmt_span(keyword, call.span),
                                            **{field: node}))

    @_collecting
    def texture_stmt(self, children):
        keyword, name, call = children
        return self._typed_call(keyword, name, call, A.TEXTURE_KINDS, A.TextureDef, "texture", "texture")

    @_collecting
    def material_stmt(self, children):
        keyword, name, call = children
        return self._typed_call(keyword, name, call, A.MATERIAL_KINDS, A.MaterialDef, "material", "material")

    @_collecting
    def light_stmt(self, children):
        keyword, name, call = children
        return self._typed_call(keyword, name, call, A.LIGHT_KINDS, A.LightDef, "light", "light")

    @_collecting
    def object_stmt(self, children):
        keyword, name, shape, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else shape)
        allowed = [p for p in A.param_names(A.ObjectDef) if p != "shape"]
        return self._guard(build_node, A.ObjectDef, params, span,
                           fixed={"name": str(name), "shape": str(shape)}, allowed=allowed, what="object")

    @_collecting
    def instance_stmt(self, children):
        keyword, name, _instance, source, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else source)
        allowed = ["at", "rotate", "scale", "material"]
        return self._guard(build_node, A.InstanceDef, params, span,
                           fixed={"name": str(name), "source": str(source)}, allowed=allowed,
                           what="instance")

    @_collecting
    def array_stmt(self, children):
        keyword, name, call, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED or call is FAILED:
            return FAILED
        if call.name != "array":
            hint = (f"a shape is defined in geometry (`shape {name} = {call.name}(...)`) and "
                    f"placed by name (`object {name} = SHAPE`)" if call.name in A.PRIMITIVES
                    else "objects are `object NAME = SHAPE`, `object NAME = instance SOURCE` or "
                         "`object NAME = array(SOURCE, count=N, offset=V)`")
            return self._error(f"an object places a shape by name; '{call.name}(...)' is not "
                               f"allowed here{suggest(call.name, ['array'])}", call.name_span,
                               hint=hint)
        if len(call.positional) != 1 or not isinstance(call.positional[0], A.Ref) or any(
                getattr(call.positional[0], t) is not None for t in A.ShapeBase.TRANSFORMS):
            return self._error("array() takes the name of what it repeats first, e.g. "
                               "array(chair, count=4, offset=(1, 0, 0))", call.span)
        for kw_name, kw_span, _ in call.kwargs:
            if kw_name not in A.ArrayDef.CALL_PARAMS:
                return self._error(f"unknown parameter '{kw_name}' for array"
                                   f"{suggest(kw_name, A.ArrayDef.CALL_PARAMS)}", kw_span,
                                   hint="array takes: count, offset, around, angle")
        kinds = [k for k, _, _ in call.kwargs if k in ("offset", "around")]
        if len(kinds) != 1:
            return self._error("an array takes exactly one of offset= (a row) or around= (a circle)",
                               call.span, hint="array(SOURCE, count=N, offset=(dx, dy, dz)) or "
                                               "array(SOURCE, count=N, around=(x, y, z))")
        for c_name, c_span, _ in params:
            if c_name in A.ArrayDef.CALL_PARAMS:
                return self._error(f"'{c_name}' goes inside array(...), not after it", c_span)
        span = self._stmt_span(keyword, clauses[-1].value if clauses else call.span)
        return self._guard(build_node, A.ArrayDef, [*call.kwargs, *params], span,
                           fixed={"name": str(name), "source": call.positional[0].name},
                           allowed=[p for p in A.param_names(A.ArrayDef) if p != "source"],
                           what="array")

    @_collecting
    def group_stmt(self, children):
        keyword, name, *rest = children
        closing = rest.pop()
        clauses = [c for c in rest if isinstance(c, _Clause)]  # a failed clause counts as a member
        members = [m for m in rest if not isinstance(m, _Clause)]
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        good = []
        for member in members:
            if member is FAILED:
                continue
            if member.stmt not in A.MEMBER_STMTS:
                self._error(f"a {member.stmt} statement cannot stand in a group: groups hold "
                            f"objects, instances, arrays, groups and lights", member.span,
                            hint=f"write it in the {A.SECTION_OF[member.stmt]} section")
                continue
            good.append(member)
        if any(m is FAILED for m in members):
            return FAILED
        span = self._stmt_span(keyword, closing)
        return self._guard(build_node, A.GroupDef, params, span,
                           fixed={"name": str(name), "members": tuple(good)},
                           allowed=["at", "rotate", "scale"], what="group")

    @_collecting
    def camera_stmt(self, children):
        keyword, name, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else name)
        return self._guard(build_node, A.Camera, params, span, fixed={"name": str(name)}, what="camera")

    @_collecting
    def world_stmt(self, children):
        keyword, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else keyword)
        return self._guard(build_node, A.World, params, span, what="world")

    # sections and files ---------------------------------------------------
    @_collecting
    def section_name(self, children):
        return children[0]

    def _statements_for(self, section: str, statements: list, section_span) -> list:
        good = []
        for st in statements:
            if st is FAILED:
                continue
            if st.stmt == "let":
                self._error("`let` goes after the header, before the first section, not inside "
                            f"{section}", st.span, hint="move the line up, below `scenelang 1`")
                continue
            home = A.SECTION_OF[st.stmt]
            if home != section:
                self._error(f"{with_article(st.stmt)} statement belongs in the {home} section, not {section}", st.span)
                continue
            good.append(st)
        return good

    @_collecting
    def section(self, children):
        name_tok, *statements, closing = children
        name = str(name_tok)
        span = self._join(self._tok(name_tok), self._tok(closing))
        if name == "constants":
            return self._error("a scene has no constants section: constants are `let` lines "
                               "after the header", self._tok(name_tok),
                               hint="write `let h = 0.72` below `scenelang 1`, before the "
                                    "sections (`patch constants { ... }` is for patches)")
        good = self._statements_for(name, statements, span)
        return (name, self._tok(name_tok), A.Section(name=name, statements=tuple(good), span=span))

    @_collecting
    def header(self, children):
        keyword, version = children
        number = self._quantity(version)
        if number is FAILED:
            return FAILED
        if number.unit is not None or number.value != A.LANGUAGE_VERSION:
            return self._error(f"unsupported language version '{version}'; this scenelang reads "
                               f"version {A.LANGUAGE_VERSION}", number.span)
        return self._join(self._tok(keyword), number.span)

    @_collecting
    def scene_file(self, children):
        header, *rest = children
        lets = [c for c in rest if isinstance(c, A.LetDef)]
        sections = [c for c in rest if isinstance(c, tuple)]
        self._report_undefined()
        seen: dict[str, Span | None] = {}
        fields: dict[str, object] = {"constants": tuple(lets)}
        for name, name_span, section in sections:
            if name in seen:
                first = seen[name]
                self._error(f"section '{name}' appears twice (first at line {first.line if first else '?'})",
                            name_span)
                continue
            seen[name] = name_span
            fields[name] = section
        if self.diagnostics:
            return FAILED
        if header is FAILED:
            return FAILED
        return A.Scene(span=header, **fields)

    @_collecting
    def set_op(self, children):
        keyword, target, param, value = children
        if value is FAILED:
            return FAILED
        return A.SetOp(target=str(target), param=str(param), value=value,
                       span=self._join(self._tok(keyword), value.span))

    @_collecting
    def remove_op(self, children):
        keyword, name = children
        return A.RemoveOp(name=str(name), span=self._join(self._tok(keyword), self._tok(name)))

    @_collecting
    def patch(self, children):
        return self._patch(children)

    @_collecting
    def replace(self, children):
        return self._patch(children, replace=True)

    def _patch(self, children, replace: bool = False):
        keyword, name_tok, *ops, closing = children
        name = str(name_tok)
        good = []
        for op in ops:
            if op is FAILED:
                continue
            if name == "constants" and not isinstance(op, (A.LetDef, A.RemoveOp)):
                self._error("`patch constants` holds `let NAME = VALUE` and `remove NAME` only",
                            op.span, hint="change a constant by writing its `let` again")
                continue
            if isinstance(op, A.LetDef) and name != "constants":
                self._error(f"a `let` belongs in `patch constants {{ ... }}`; this patch edits "
                            f"{name}", op.span, hint="put `patch constants { let ... }` first")
                continue
            if isinstance(op, A.LetDef):
                op = A.PutOp(statement=op, span=op.span)
            elif isinstance(op, A.Statement):
                if A.SECTION_OF[op.stmt] != name:
                    self._error(f"{with_article(op.stmt)} statement belongs in the {A.SECTION_OF[op.stmt]} "
                                f"section; this patch edits {name}", op.span)
                    continue
                op = A.PutOp(statement=op, span=op.span)
            good.append(op)
        return A.Patch(section=name, replace=replace, ops=tuple(good),
                       span=self._join(self._tok(keyword), self._tok(closing)))

    @_collecting
    def patch_file(self, children):
        header, *patches = children
        self._report_undefined()
        if self.diagnostics:
            return FAILED
        return A.PatchFile(patches=tuple(patches), span=patches[0].span if patches else None)
