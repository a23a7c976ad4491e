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
