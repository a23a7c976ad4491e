"""The add-on's work, inside Blender: scenelang's compiler and importer on the open file.

- `build_into_open_file(path)`: parse and validate the `.sl` file, compile it with
  `scenelang.compiler.compile_scene` (the project's fixed templates; the script passes
  `check_script`), run the script's definitions and call its `build_scene(reset=False)`, which
  builds into the open file instead of starting an empty one; the render size becomes the
  camera's resolution. Returns the number of objects built.
- `export_open_file(path)`: describe the open file with the same code the `scenelang import`
  scan runs in a Blender subprocess (`scenelang.backends.blender.scan.describe`), turn that into a
  scene (`scenelang.backends.importers`), validate it and write it. Returns the import report.
"""

from pathlib import Path

import bpy

from scenelang.backends.blender import scan
from scenelang.backends.importers import ImportFailure, Report, import_scanned
from scenelang.compiler import compile_scene
from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.printer import print_scene
from scenelang.validate import check

FAILURES = (SceneError, ImportFailure, OSError, UnicodeDecodeError)
MAX_BYTES = 4 * 2**20


def message(exc: Exception) -> str:
    """One short line for Blender's status bar (the first diagnostic of a SceneError)."""
    if isinstance(exc, SceneError):
        first = exc.diagnostics[0] if exc.diagnostics else None
        if first is not None:
            where = first.span.label() + ": " if first.span else ""
            more = f" (and {len(exc.diagnostics) - 1} more)" if len(exc.diagnostics) > 1 else ""
            return f"{where}{first.message}{more}"
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}"
    return str(exc)


def build_into_open_file(path: str) -> int:
    """Build the scene of the `.sl` file at `path` into the open file; the count of objects."""
    source = Path(path).resolve()
    data = source.read_bytes()[: MAX_BYTES + 1]
    if len(data) > MAX_BYTES:
        raise SceneError(f"{source.name} is larger than 4 MiB")
    text = data.decode("utf-8")
    scene = parse_scene(text, source.name)
    check(scene)
    script = compile_scene(scene, source_file=source.name)  # checked by check_script
    namespace = {"__name__": "scenelang_scene", "__file__": source.name}
    exec(compile(script, source.name, "exec"), namespace)  # the compiler's own checked script
    ctx = namespace["build_scene"](reset=False)
    render = bpy.context.scene.render
    render.resolution_x, render.resolution_y = namespace["RESOLUTION"]
    render.resolution_percentage = 100
    return len(ctx["scene_objects"])


def export_open_file(path: str) -> Report:
    """Write the open file's scene to `path` as scenelang text; what the import did."""
    target = Path(path).resolve()
    name = bpy.data.filepath and Path(bpy.data.filepath).name or "the open file"
    entry = {"file": name, "ok": True, **scan.describe()}
    result = import_scanned(entry, name, output=target)  # meshes that are no primitive: assets beside it
    text = print_scene(result.scene)
    check(parse_scene(text, str(target)))
    target.write_text(text, encoding="utf-8")
    return result.report
