"""Shape and material names: where they are defined and used; definition, references, rename.

Positions come from a parse tree of the scene grammar (`grammar/scenelang.lark`, the same
grammar and contextual lexer the parser uses, without its AST builder), so a name is found
exactly where the language reads it: a keyword used as a name, a name inside a comment or a
colour-like comment are all told apart as the parser tells them apart. A scene with a syntax
error has no tree: then there is nothing to jump to or rename (the diagnostics say why).

Occurrences of a shape name: its `shape NAME = ...` definition, references inside shape
expressions (`leg at (...)`, CSG operands) and the shape of an `object`. Of a material name: its
`material NAME = ...` definition and `material NAME` clauses of objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.grammar import grammar_text
from scenelang.parser import parse_scene
from scenelang.validate import DEFAULT_LIMITS, validate

Namespace = Literal["shape", "material", "constant", "texture"]
TEXTURE_INPUTS = frozenset({"base_color", "roughness", "bump"})
"""The material parameters whose value may name a texture."""
_NAME = re.compile(A.NAME_PATTERN)


@dataclass(frozen=True)
class Occurrence:
    """One written name: `start`/`end` are offsets into the normalised text."""

    namespace: Namespace
    name: str
    start: int
    end: int
    definition: bool

    def covers(self, offset: int) -> bool:
        """True when a cursor at `offset` is on the name (just after its last letter counts)."""
        return self.start <= offset <= self.end


class RenameError(Exception):
    """A rename the server refuses, with the reason shown to the user."""


@lru_cache(maxsize=1)
def _tree_parser() -> Lark:
    """The scene grammar with Lark's own tree (positions on every token), built once."""
    return Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True,
                start="scene_file")


def occurrences(text: str) -> list[Occurrence] | None:
    """Every shape, material and `let` constant name in a scene, in text order; None on a
    syntax error."""
    try:
        tree = _tree_parser().parse(text)
    except (LarkError, RecursionError):
        return None
    found: list[Occurrence] = []

    def add(namespace: Namespace, token: Token, definition: bool = False) -> None:
        found.append(Occurrence(namespace, str(token), token.start_pos, token.end_pos, definition))

    def shape_expr(node: Tree) -> None:
        head = node.children[0]
        if isinstance(head, Token):
            add("shape", head)
        elif isinstance(head, Tree):
            for arg in head.children[1:]:
                if isinstance(arg, Tree) and arg.data == "shape_expr":
                    shape_expr(arg)
        material_clauses(node.children[1:])  # a CSG operand's own material

    def material_clauses(clauses: list) -> None:
        for clause in clauses:
            if not (isinstance(clause, Tree) and clause.data == "clause"):
                continue
            name, value = clause.children
            if str(name) == "material" and isinstance(value, Tree) and value.data == "ident":
                add("material", value.children[0])
                as_material.add(id(value.children[0]))

    def source(token: Token) -> None:
        """An instance's or array's source: a shape unless an object or group has that name."""
        if str(token) not in placed:
            add("shape", token)

    constants = {str(st.children[1]) for st in tree.find_data("let_stmt")}
    placed = {str(st.children[1]) for kind in ("object_stmt", "instance_stmt", "array_stmt",
                                               "group_stmt") for st in tree.find_data(kind)}
    as_material = set()  # `material NAME` clauses name a material even if a constant shares it
    for st in tree.iter_subtrees_topdown():
        if st.data == "let_stmt":
            add("constant", st.children[1], definition=True)
        elif st.data == "ident" and str(st.children[0]) in constants \
                and id(st.children[0]) not in as_material:
            add("constant", st.children[0])
        if st.data == "shape_stmt":
            add("shape", st.children[1], definition=True)
            shape_expr(st.children[2])
        elif st.data == "material_stmt":
            add("material", st.children[1], definition=True)
            for arg in st.children[2].children[1:]:  # `base_color=NAME`: a texture
                if isinstance(arg, Tree) and arg.data == "kwarg" and str(arg.children[0]) in TEXTURE_INPUTS \
                        and isinstance(arg.children[1], Tree) and arg.children[1].data == "ident":
                    add("texture", arg.children[1].children[0])
                    as_material.add(id(arg.children[1].children[0]))
        elif st.data == "texture_stmt":
            add("texture", st.children[1], definition=True)
        elif st.data == "object_stmt":
            add("shape", st.children[2])
            material_clauses(st.children[3:])
        elif st.data == "instance_stmt":
            source(st.children[3])
            material_clauses(st.children[4:])
        elif st.data == "array_stmt":
            args = st.children[2].children[1:]
            first = args[0] if args else None
            if isinstance(first, Tree) and first.data == "shape_expr" and isinstance(first.children[0], Token):
                source(first.children[0])
            material_clauses(st.children[3:])
    return sorted(found, key=lambda o: o.start)


@dataclass(frozen=True)
class Outline:
    """A section or statement for the editor's outline: `start`/`end` span all of it,
    `name_start`/`name_end` its name (the keyword for the world and a section)."""

    kind: str  # a section name, or shape, material, object, camera, light, world
    name: str
    start: int
    end: int
    name_start: int
    name_end: int
    children: tuple[Outline, ...] = ()


def _tokens(tree: Tree) -> list[Token]:
    return list(tree.scan_values(lambda v: isinstance(v, Token)))


def outline(text: str) -> list[Outline] | None:
    """Sections and their statements in text order; None on a syntax error."""
    try:
        tree = _tree_parser().parse(text)
    except (LarkError, RecursionError):
        return None
    sections = []
    for section in tree.find_data("section"):
        head = section.children[0].children[0]
        statements = []
        for st in section.children[1:]:
            if not isinstance(st, Tree):
                continue
            toks = _tokens(st)
            keyword = toks[0]
            name = keyword if st.data == "world_stmt" else st.children[1]
            statements.append(Outline(str(keyword), str(name), keyword.start_pos, toks[-1].end_pos,
                                      name.start_pos, name.end_pos))
        closing = section.children[-1]
        sections.append(Outline(str(head), str(head), head.start_pos, closing.end_pos,
                                head.start_pos, head.end_pos, tuple(statements)))
    return sections


def at_offset(found: list[Occurrence] | None, offset: int) -> Occurrence | None:
    """The occurrence under a cursor, if any."""
    for occ in found or ():
        if occ.covers(offset):
            return occ
    return None


def definition_of(found: list[Occurrence], occ: Occurrence) -> Occurrence | None:
    """The definition an occurrence refers to (the first, if a name is defined twice)."""
    return next((o for o in found if o.definition and o.namespace == occ.namespace
                 and o.name == occ.name), None)


def references(found: list[Occurrence], occ: Occurrence, include_definition: bool = True
               ) -> list[Occurrence]:
    """All occurrences of the same name in the same namespace."""
    return [o for o in found if o.namespace == occ.namespace and o.name == occ.name
            and (include_definition or not o.definition)]


def _error_messages(text: str) -> list[str]:
    try:
        diagnostics = validate(parse_scene(text))
    except SceneError as exc:
        diagnostics = exc.diagnostics
    return [d.message for d in diagnostics if d.severity == "error"]


def rename(text: str, offset: int, new_name: str) -> tuple[Occurrence, list[Occurrence]]:
    """`(target, occurrences to replace)` for renaming the shape or material under `offset` to
    `new_name`. Raises `RenameError` when there is nothing to rename there, when the new name
    is not a valid name, when it is already defined in that namespace, or when the renamed
    scene would have an error the original does not have."""
    found = occurrences(text)
    if found is None:
        raise RenameError("the scene has a syntax error; fix it before renaming")
    occ = at_offset(found, offset)
    if occ is None:
        raise RenameError("only shape and material names (and texture and constant names) can be "
                          "renamed; put the cursor on one")
    if not _NAME.match(new_name):
        raise RenameError(f"'{new_name}' is not a valid name: names are letters, digits and "
                          "underscores, not starting with a digit")
    if len(new_name) > DEFAULT_LIMITS.max_name_length:
        raise RenameError(f"'{new_name}' is too long: names have at most "
                          f"{DEFAULT_LIMITS.max_name_length} characters")
    if definition_of(found, occ) is None:
        raise RenameError(f"{occ.namespace} '{occ.name}' is not defined in this file")
    if new_name != occ.name and any(o.definition and o.namespace == occ.namespace
                                    and o.name == new_name for o in found):
        raise RenameError(f"a {occ.namespace} named '{new_name}' already exists")
    targets = references(found, occ)
    renamed = apply(text, targets, new_name)
    before, after = _error_messages(text), _error_messages(renamed)
    if len(after) > len(before):
        first = next((m for m in after if m not in before), after[0])
        raise RenameError(f"renaming to '{new_name}' would give an error: {first}")
    return occ, targets


def apply(text: str, targets: list[Occurrence], new_name: str) -> str:
    """The text with every target replaced by `new_name`."""
    out, at = [], 0
    for occ in sorted(targets, key=lambda o: o.start):
        out += [text[at:occ.start], new_name]
        at = occ.end
    out.append(text[at:])
    return "".join(out)
