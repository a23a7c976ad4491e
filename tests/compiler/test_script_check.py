"""The script checker: what a compiled script may contain, and everything else rejected."""

from __future__ import annotations

import pytest

from scenelang.compiler import ScriptCheckError, check_script, compile_scene
from scenelang.compiler.script_check import call_targets
from scenelang.parser import parse_scene

HEADER = "import bpy\nimport bmesh\nimport math\nimport sys\nfrom mathutils import Matrix, Vector\n"

SCENE = """scenelang 1
geometry { shape s = difference(box(size=(1, 1, 1)), sphere(radius=0.6)) }
composition { object o = s }
lighting { light l = sun() }
"""


def test_compiled_scripts_pass():
    check_script(compile_scene(parse_scene(SCENE)))
    check_script(compile_scene(parse_scene(SCENE), apply_csg=True))


def test_allowed_constructs_pass():
    check_script(HEADER + """
def f(ctx, name):
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    corners = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]
    verts = [bm.verts.new(Matrix.Identity(4) @ Vector(co)) for co in corners]
    bm.faces.new(verts)
    bm.normal_update()
    bm.to_mesh(mesh)
    bm.free()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.location = Vector((1.0, 2.0, 3.0))
    items = [math.radians(a) for a in range(3)]
    return len(items) + max(1, 2)


def main(argv):
    f({}, 'x')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("source", [
    "import os",
    "import subprocess",
    "import bpy as b",
    "from os import system",
    "from mathutils import Matrix as M",
    "from . import x",
    "exec('print(1)')",
    "eval('1')",
    "__import__('os')",
    "open('/etc/passwd')",
    "getattr(bpy, 'ops')",
    "x = globals()",
    "compile('1', 'f', 'eval')",
    "bpy.ops.script.python_file_run(filepath='x.py')",
    "bpy.ops.wm.open_mainfile(filepath='x.blend')",
    "bmesh.ops.create_cube(bm, size=1.0)",
    "bmesh.ops.delete(bm, geom=[])",
    "bpy.utils.execfile('x.py')",
    "bpy.data.texts.new('t').as_module()",
    "bpy.app.handlers.load_post.append(print)",
    "sys.modules['os'].system('ls')",
    "b = bpy",
    "x = bpy.data",
    "bpy = 1",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = obj._private",
    "obj.driver_add('location')",
    "(lambda: 1)()",
    "f = lambda: 1",
    "class C: pass",
    "x = f'{1}'",
    "def f():\n    global x\n    x = 1",
    "try:\n    pass\nexcept Exception:\n    pass",
    "with open('x') as f:\n    pass",
    "del x",
    "x = [1][0]()",
    "obj.system('ls')",
    "obj.write('x')",
    "print.__self__",
    "@decorated\ndef f():\n    pass",
    "def f(x: int):\n    pass",
    "async def f():\n    pass",
    "def f():\n    yield 1",
    "x = sys.stdin.read()",
    "def __init__():\n    pass",
    "def (:",
])
def test_forbidden_constructs_are_rejected(source):
    with pytest.raises(ScriptCheckError):
        check_script(HEADER + source + "\n")


def test_error_names_the_line():
    with pytest.raises(ScriptCheckError, match="line 7: .*'open'"):
        check_script(HEADER + "x = 1\nopen('f')\n")


def test_call_targets_lists_every_call():
    targets = call_targets("import bpy\nbpy.data.meshes.new('m')\nx.y.link(z)\nf(g(1))\nh()()\n")
    assert targets == ["bpy.data.meshes.new", "x.y.link", "f", "Call", "g", "h"]
