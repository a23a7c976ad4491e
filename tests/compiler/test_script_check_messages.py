"""Every rejection of the script checker names the offending line and says what is wrong, and
each whitelist table is consulted on its own (issue 15: mutation testing found checks whose
messages, line numbers or table lookups no test pinned; docs/testing.md, "Mutation testing")."""

from __future__ import annotations

import pytest

from scenelang.compiler import ScriptCheckError, check_script
from scenelang.compiler.script_check import call_targets

HEADER = "import bpy\nimport math\n"  # the offending statement is on line 3

REJECTED = [
    # imports
    ("import os", "import of 'os' is not allowed"),
    ("from os import path", "import from 'os' is not allowed"),
    ("from mathutils import Quaternion", "import of mathutils.Quaternion is not allowed"),
    # names: forbidden builtins and dunders, wherever they appear
    ("x = eval", "name 'eval' is not allowed"),
    ("x = __file__", "name '__file__' is not allowed"),
    ("def eval():\n    pass", "name 'eval' is not allowed"),
    ("def f(exec):\n    pass", "name 'exec' is not allowed"),
    ("def f(a: int):\n    pass", "annotations are not allowed"),
    ("def f() -> int:\n    pass", "decorators and annotations are not allowed"),
    # modules only through an allowed dotted path
    ("x = bpy", "module 'bpy' may only be used through an allowed path"),
    ("x = bpy.data.meshes", "bpy.data.meshes is not allowed"),
    # attributes: private, outside the whitelist, also inside an allowed module path
    ("x = y._private", "attribute '_private' is not allowed"),
    ("x = y.gi_frame", "attribute 'gi_frame' is not allowed"),
    ("x = bpy.context.scene.gi_frame.render", "attribute 'gi_frame' is not allowed"),
    ("bpy.context.scene.gi_frame.new()", "attribute 'gi_frame' is not allowed"),
    # calls
    ("bpy()", "call to bpy is not allowed"),
    ("bpy.data.meshes.link(x)", "call to bpy.data.meshes.link is not allowed"),
    ("x.location()", "call to method 'location' is not allowed"),
    ("f()()", "only named functions and methods may be called"),
    # syntax outside the whitelist
    ("x = lambda: 1", "Lambda is not allowed in a compiled script"),
]


@pytest.mark.parametrize("statement, reason", REJECTED, ids=[r[0] for r in REJECTED])
def test_each_rejection_names_its_line_and_reason(statement, reason):
    with pytest.raises(ScriptCheckError) as caught:
        check_script(HEADER + statement + "\n")
    assert str(caught.value) == f"line 3: {reason}"


def test_a_script_that_does_not_parse_is_a_check_error_naming_the_line():
    with pytest.raises(ScriptCheckError) as caught:
        check_script(HEADER + "x = = 1\n")
    assert str(caught.value).startswith("line 3: the script does not parse: ")


def test_an_operator_outside_the_whitelist_is_a_check_error():
    """Operator nodes (here `&`) carry no line number of their own; still a ScriptCheckError."""
    with pytest.raises(ScriptCheckError, match="BitAnd is not allowed"):
        check_script(HEADER + "x = 1 & 2\n")


def test_call_targets_write_a_method_call_on_a_non_name_value_as_dot_method():
    assert call_targets("a[0].append(1)\nf().x.link(2)\n") == [".append", ".link", "f"]
