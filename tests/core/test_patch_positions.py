"""Where a rejected patch's errors point (issue 15; docs/testing.md, "Mutation testing"): a
statement built in code (no span of its own) takes its op's position, else its patch's; a
statement in the wrong section is reported at the op, else the statement, else the patch; every
wrong statement of a `replace` block is reported; a shape removed and written again is no longer
"removed"; a new error in a statement the patch did not write moves to the block of its section,
naming where the validator found it."""

from __future__ import annotations

import pytest

from scenelang import ast as A
from scenelang.errors import SceneError, Span
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, respan
from scenelang.validate import Limits

SCENE = parse_scene("""scenelang 1
geometry {
  shape a = box(size=(1, 1, 1))
  shape b = union(a, box(size=(1, 1, 1)) at (1, 0, 0))
}
materials {
  material m = principled()
}
composition {
  object o = b material m
}
""", file="s.sl")

PATCH_SPAN = Span(line=1, column=1, end_line=9, end_column=2, file="p.slp")
OP_SPAN = Span(line=2, column=3, end_line=2, end_column=10, file="p.slp")
STATEMENT_SPAN = Span(line=5, column=3, end_line=5, end_column=10, file="p.slp")
UNKNOWN_SHAPE = "object 'x' uses shape 'nope', which is not defined; defined: a, b"
WRONG_SECTION = "an object statement belongs in the composition section; this patch edits geometry"


def rejected(patch: A.Patch | A.PatchFile, scene: A.Scene = SCENE, **kwargs) -> list[tuple]:
    with pytest.raises(SceneError) as info:
        apply_patch(scene, patch, **kwargs)
    return [(d.message, d.span.label() if d.span else None, d.hint)
            for d in info.value.diagnostics]


def unknown_object(span: Span | None = None) -> A.ObjectDef:
    return A.ObjectDef(name="x", shape="nope", span=span)


# ---------------------------------------------------------------- statements built in code


@pytest.mark.parametrize("op_span, patch_span, expected", [
    (OP_SPAN, PATCH_SPAN, "p.slp:2:3"),  # the op's position first
    (None, PATCH_SPAN, "p.slp:1:1"),     # else the patch's
    (OP_SPAN, None, "p.slp:2:3"),        # a patch without a position still uses its op's
])
def test_a_statement_without_a_position_takes_its_ops_else_its_patchs(op_span, patch_span,
                                                                     expected):
    patch = A.Patch(section="composition", ops=(A.PutOp(statement=unknown_object(), span=op_span),),
                    span=patch_span)
    assert rejected(patch) == [(UNKNOWN_SHAPE, expected, None)]


def test_a_statement_with_its_own_position_keeps_it():
    patch = A.Patch(section="composition", span=PATCH_SPAN,
                    ops=(A.PutOp(statement=unknown_object(STATEMENT_SPAN), span=OP_SPAN),))
    assert rejected(patch) == [(UNKNOWN_SHAPE, "p.slp:5:3", None)]


# ---------------------------------------------------------------- a statement in the wrong section


@pytest.mark.parametrize("op_span, statement_span, expected", [
    (OP_SPAN, STATEMENT_SPAN, "p.slp:2:3"),  # the op first
    (None, STATEMENT_SPAN, "p.slp:5:3"),     # else the statement
    (None, None, "p.slp:1:1"),               # else the patch
])
def test_a_statement_in_the_wrong_section_is_reported_at_the_op_else_the_statement_else_the_patch(
        op_span, statement_span, expected):
    patch = A.Patch(section="geometry", span=PATCH_SPAN,
                    ops=(A.PutOp(statement=unknown_object(statement_span), span=op_span),))
    assert rejected(patch) == [(WRONG_SECTION, expected, None)]


def test_every_wrong_statement_of_a_replace_block_is_reported():
    material = A.MaterialDef(name="q", material=A.Principled())
    patch = A.Patch(section="geometry", replace=True, span=PATCH_SPAN, ops=(
        A.PutOp(statement=unknown_object(), span=OP_SPAN),
        A.PutOp(statement=material, span=STATEMENT_SPAN)))
    assert rejected(patch) == [
        (WRONG_SECTION, "p.slp:2:3", None),
        ("a material statement belongs in the materials section; this patch edits geometry",
         "p.slp:5:3", None)]


# ---------------------------------------------------------------- removed, then written again


def test_a_shape_removed_and_written_again_is_not_reported_as_removed():
    patch = parse_patch("patch geometry {\n  remove a\n  shape a = box(size=(2, 2, 2))\n}\n",
                        file="p.slp")
    # the new `a` stands after `b`, which uses it: an ordering error, not "cannot remove"
    assert rejected(patch) == [
        ("shape 'b' refers to shape 'a', which is defined later (line 3); a shape can only use "
         "shapes defined before it", "p.slp:1:1", "caused by this patch; reported at s.sl:4:19")]


def test_a_shape_removed_and_not_written_again_is_reported_at_the_remove():
    patch = parse_patch("patch geometry {\n  remove a\n}\n", file="p.slp")
    assert rejected(patch) == [
        ("cannot remove shape 'a': shape 'b' (s.sl line 4) still uses it", "p.slp:2:3",
         "keep shape 'a', or change what uses it")]


# ---------------------------------------------------------------- errors the patch caused elsewhere

DEEPER = ("patch materials {\n  material n = principled()\n}\n"
          "patch geometry {\n  shape a = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)))\n}\n")
"""The second block makes `a` a CSG operation, so `b`, which the patch did not write, nests
two deep."""

TOO_DEEP = ("shape 'b' nests CSG operations 2 deep (counting through referenced shapes); the limit "
            "is 1")


def test_a_new_error_elsewhere_is_reported_at_the_block_of_its_section():
    assert rejected(parse_patch(DEEPER, file="p.slp"), limits=Limits(max_csg_depth=1)) == [
        (TOO_DEEP, "p.slp:4:1", "caused by this patch; reported at s.sl:4:3")]


def test_without_positions_in_the_scene_the_hint_names_no_place():
    assert rejected(parse_patch(DEEPER, file="p.slp"), respan(SCENE, None),
                    limits=Limits(max_csg_depth=1)) == [
        (TOO_DEEP, "p.slp:4:1", "caused by this patch")]
