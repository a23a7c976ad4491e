"""Reading the patch out of a model's answer: the first scene-language fenced block."""

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples

from scenelang.stages.proposers.vlm.extract import MAX_ANSWER_CHARS, extract_code

PATCH = "patch geometry {\n  shape ball = sphere(radius=0.5)\n}"


def test_sl_block_with_prose_around_it():
    answer = f"Here is the fix.\n\n```sl\n{PATCH}\n```\n\nThe ball was too small."
    got = extract_code(answer)
    assert got.error is None
    assert got.code == PATCH + "\n"
    assert got.language == "sl"


def test_untagged_and_scenelang_blocks_are_accepted():
    assert extract_code(f"```\n{PATCH}\n```").code == PATCH + "\n"
    assert extract_code(f"```scenelang\n{PATCH}\n```").code == PATCH + "\n"
    assert extract_code(f"~~~sl\n{PATCH}\n~~~").code == PATCH + "\n"


def test_first_scene_block_wins():
    answer = f"```sl\n{PATCH}\n```\nor maybe\n```sl\npatch lighting {{\n}}\n```"
    assert extract_code(answer).code == PATCH + "\n"


def test_other_language_blocks_are_skipped():
    answer = f"```python\nimport os\nos.system('rm -rf /')\n```\n```sl\n{PATCH}\n```"
    assert extract_code(answer).code == PATCH + "\n"


def test_only_python_block_is_an_error_that_says_so():
    got = extract_code("```python\nimport os\n```")
    assert got.code is None
    assert "```python" in got.error and "```sl" in got.error


def test_no_block_is_an_error():
    got = extract_code("I think the scene has a red ball on a table.")
    assert got.code is None
    assert "no fenced code block" in got.error


def test_empty_block_is_an_error():
    got = extract_code("```sl\n\n```")
    assert got.code is None and "empty" in got.error


def test_longer_fence_holds_inner_backticks():
    answer = f"````sl\n{PATCH}\n```\n````"
    assert extract_code(answer).code == PATCH + "\n```\n"


def test_unterminated_block_runs_to_the_end():
    assert extract_code(f"```sl\n{PATCH}").code == PATCH + "\n"


def test_runaway_answer_is_rejected():
    got = extract_code("```sl\n" + "x" * (MAX_ANSWER_CHARS + 1) + "\n```")
    assert got.code is None and "too long" in got.error


@settings(max_examples=examples(60), deadline=None)
@given(prose=st.text(alphabet=st.characters(blacklist_characters="`~"), max_size=200),
       body=st.text(alphabet=st.characters(
           blacklist_characters="`~\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                    min_size=1, max_size=80).filter(lambda s: s.strip()))
def test_prose_without_fences_never_changes_the_code(prose, body):
    got = extract_code(f"{prose}\n```sl\n{body}\n```\n{prose}")
    assert got.code == body + "\n"
