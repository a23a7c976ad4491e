"""The runtime of every compiled script, as real Python modules inlined into it.

A compiled script is this runtime (fixed code, the same for every scene) plus a templated part
(`../templates/*.py.j2`: render settings, one `mesh_*`/`shape_*` function pair per shape, the
`build_*` functions). The runtime modules, in the order they are inlined:

- `primitives`: one builder per primitive kind, `(vertices, faces)` as plain lists, registered
  in `PRIMITIVES` (plain Python, also imported by the preview `scenelang.backends.meshes`);
- `meshes`: transforms, primitives into bmesh (`add_primitive`), smoothing, shared meshes, CSG
  operand helpers;
- `textures`: shader nodes for `texture` statements (procedural and image) and bumps, only in
  scripts of scenes with textures (`scene` calls it only for textured materials);
- `scene`: object placement, materials, lights, world, camera;
- `main` (inlined last): building, rendering, `main(argv)` and the `__main__` entry point.

`generated` declares the names the templated part defines; it is never inlined. `inline(name)`
returns a module's source without its docstring and leading imports: the script imports
`argparse`, `math`, `sys`, `bpy`, `bmesh` and `mathutils` once at its top, and names imported
from sibling runtime modules are defined earlier in the same script.
"""

from __future__ import annotations

import ast
from functools import cache
from importlib import resources

INLINED = ("primitives", "meshes", "textures", "scene", "main")
SCRIPT_IMPORTS = frozenset({"argparse", "math", "sys", "bpy", "bmesh", "mathutils"})


@cache
def inline(name: str) -> str:
    """The source of runtime module `name` as it goes into a script (docstring, imports dropped).

    Raises ValueError for an import the script header does not provide, or an import after the
    first definition (the runtime keeps all imports at the top).
    """
    if name not in INLINED:
        raise ValueError(f"{name!r} is not an inlined runtime module")
    text = resources.files(__name__).joinpath(f"{name}.py").read_text(encoding="utf-8")
    tree = ast.parse(text, f"{name}.py")
    header_end = 0
    for index, node in enumerate(tree.body):
        docstring = (index == 0 and isinstance(node, ast.Expr)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _check_import(name, node)
        elif not docstring:
            break
        header_end = node.end_lineno or header_end
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno > header_end:
            raise ValueError(f"runtime/{name}.py:{node.lineno}: imports belong at the top")
    body = text.splitlines()[header_end:]
    return "\n".join(body).strip("\n") + "\n"


def _check_import(name: str, node: ast.Import | ast.ImportFrom) -> None:
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if module == "__future__" or module.startswith(f"{__name__}."):
            return
        modules = [module]
    else:
        modules = [alias.name for alias in node.names]
    for module in modules:
        if module not in SCRIPT_IMPORTS:
            raise ValueError(f"runtime/{name}.py:{node.lineno}: a compiled script does not "
                             f"import {module!r}")
