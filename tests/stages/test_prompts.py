"""The prompt templates take the language's facts from the AST, never from a hand-typed list."""

from scenelang import ast as A
from scenelang.stages.proposers.prompts import language_facts, render_prompt


def test_draft_prompt_names_every_primitive_and_csg_operation():
    text = render_prompt("draft", round=1, rounds=1)
    for kind in [*A.PRIMITIVES, *A.CSG_OPS]:
        assert kind in text, kind


def test_language_facts_follow_the_ast():
    facts = language_facts()
    assert facts["primitives"].split(", ") == list(A.PRIMITIVES)
    assert facts["csg_ops"].split(", ") == list(A.CSG_OPS)


def test_the_prompts_carry_the_v2_constructs():
    """Issue #12: the VLM prompts and their compact reference include the v2 constructs."""
    from scenelang.reference import language_reference

    compact = language_reference(compact=True)
    for construct in ("let ", "texture ", "group ", "instance ", "array(", "revolve", "extrude",
                      "mesh(", "bevel", "light bulb = point("):
        assert construct in compact, construct
    composition = render_prompt("composition", round=1, rounds=1)
    for construct in ("group NAME at", "instance chair_1", "array(", "light bulb_light = point("):
        assert construct in composition, construct
