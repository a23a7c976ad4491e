"""scenelang.compiler: Scene AST -> standalone bpy script (Jinja templates, escaping filters).

Public API: `compile_scene(scene, *, apply_csg=False, source_file=None, settings=None) -> str`,
`check_script(text)` / `ScriptCheckError`, `RenderSettings` (render defaults), `FilterError`.
Nothing in this package runs Blender.
"""

from scenelang.compiler.compile import compile_scene
from scenelang.compiler.filters import FilterError
from scenelang.compiler.script_check import ScriptCheckError, check_script
from scenelang.compiler.settings import RenderSettings

__all__ = ["compile_scene", "check_script", "ScriptCheckError", "RenderSettings", "FilterError"]
