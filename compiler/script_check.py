"""The safety check every compiled script passes before anyone runs it.

`check_script(text)` parses the script with `ast.parse` and walks it, allowing only what the
templates in `templates/` emit:

- imports: `argparse`, `bmesh`, `bpy`, `math`, `sys` and `from mathutils import Euler, Matrix,
  Vector` (no aliases);
- syntax: a whitelist of node types (no lambda, class, global, with, try, f-strings, ...);
- calls: to functions the script defines at top level, to a few safe builtins, to an exact list of
  module functions (`bpy.data.meshes.new`, `bmesh.new`, ...), to `build` (the name the runtime
  gives a callable it received or looked up in its own table, e.g. a primitive builder), or to a
  short list of method names on values (`new`, `link`, `append`, ...);
- names and attributes: never a dunder (except `__name__`), never a private `_attr`, never a
  dangerous builtin (`exec`, `eval`, `open`, `getattr`, `__import__`, ...), attribute names only
  from `ALLOWED_ATTRIBUTES` (what the templates and runtime use: no frame, code, generator or
  traceback attributes such as `gi_frame.f_builtins`), and a module is only used through an
  allowed dotted path (so it cannot be aliased).

Anything else raises `ScriptCheckError` naming the line. The check is defence in depth: values
already reach the script only through the escaping filters.
"""

from __future__ import annotations

import ast

ALLOWED_IMPORTS = frozenset({"argparse", "bmesh", "bpy", "math", "sys"})
ALLOWED_FROM_IMPORTS = {"mathutils": frozenset({"Euler", "Matrix", "Vector"})}
MODULE_NAMES = ALLOWED_IMPORTS | ALLOWED_FROM_IMPORTS["mathutils"]

ALLOWED_NODES = frozenset({
    "Module", "Expr", "Import", "ImportFrom", "alias", "FunctionDef", "arguments", "arg",
    "Return", "Assign", "AugAssign", "If", "For", "While", "Break", "Continue", "Pass",
    "Call", "keyword", "Name", "Attribute", "Subscript", "Slice", "Constant", "Tuple", "List",
    "Dict", "Load", "Store", "BinOp", "UnaryOp", "BoolOp", "Compare", "IfExp", "ListComp",
    "GeneratorExp", "comprehension", "Add", "Sub", "Mult", "Div", "FloorDiv", "Mod", "Pow",
    "MatMult", "USub", "UAdd", "Not", "And", "Or", "Eq", "NotEq", "Lt", "LtE", "Gt", "GtE",
    "Is", "IsNot", "In", "NotIn",
})

SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "len", "list", "max", "min",
    "print", "range", "round", "sorted", "str", "sum", "tuple", "zip",
})
# callables the runtime receives as a parameter (shared_mesh) or looks up in its own table
# (add_primitive: `build = PRIMITIVES[kind]`)
ALLOWED_PARAMETER_CALLS = frozenset({"build"})

ALLOWED_MODULE_CALLS = frozenset({
    "argparse.ArgumentParser",
    "bmesh.new",
    "bpy.context.evaluated_depsgraph_get",
    "bpy.data.cameras.new",
    "bpy.data.collections.new",
    "bpy.data.lights.new",
    "bpy.data.materials.new",
    "bpy.data.images.load",
    "bpy.data.meshes.new",
    "bpy.data.meshes.new_from_object",
    "bpy.data.meshes.remove",
    "bpy.data.objects.new",
    "bpy.data.objects.remove",
    "bpy.data.worlds.new",
    "bpy.ops.import_scene.gltf",
    "bpy.ops.render.render",
    "bpy.ops.wm.obj_import",
    "bpy.ops.wm.ply_import",
    "bpy.ops.wm.stl_import",
    "bpy.ops.wm.read_factory_settings",
    "bpy.ops.wm.save_as_mainfile",
    "Euler",
    "Matrix.Identity",
    "Matrix.LocRotScale",
    "Vector",
    "math.cos",
    "math.radians",
    "math.sin",
    "sys.exit",
})
# dotted module paths usable as values (prefixes)
ALLOWED_MODULE_VALUES = ("bpy.context.scene", "bpy.data.images", "bpy.data.objects", "math.pi",
                         "sys.argv")

ALLOWED_METHODS = frozenset({
    "endswith", "ensure_lookup_table", "lower",  # mesh assets
    "add_argument", "append", "calc_face_angle", "clear", "copy", "decompose", "dot",
    "evaluated_get", "free", "from_mesh", "index", "inverted_safe", "items", "link", "new",
    "normal_update", "pack", "parse_args", "setdefault", "to_3x3", "to_euler", "to_mesh",
    "to_mesh_clear", "to_track_quat", "transform", "values",
})

FORBIDDEN_NAMES = frozenset({
    "__builtins__", "__import__", "breakpoint", "compile", "delattr", "dir", "eval", "exec",
    "exit", "getattr", "globals", "hasattr", "help", "input", "locals", "memoryview", "object",
    "open", "quit", "setattr", "super", "type", "vars", "os", "subprocess", "importlib",
    "builtins", "shutil", "socket", "ctypes", "pickle",
})
FORBIDDEN_ATTRIBUTES = frozenset({
    "as_module", "driver_add", "driver_namespace", "execfile", "handlers", "modules", "popen",
    "run", "spawn", "system", "texts", "timers", "utils",
})


# every attribute name the templates and the runtime use (tests/compiler/test_script_check.py
# checks the compiled examples against it); anything else -- `gi_frame`, `f_builtins`,
# `co_code`, `tb_frame`, `mro`, `format`, dunders -- is refused even where no name is forbidden
ALLOWED_ATTRIBUTES = frozenset({
    "ArgumentParser", "Identity", "LocRotScale", "add_argument", "angle", "append", "argv",
    "blend", "bound_box", "calc_face_angle", "camera", "cameras", "children", "clear",
    "collection", "collections", "color", "color_mode", "color_type", "context", "copy", "cos",
    "cycles", "data", "decompose", "default_value", "device", "diffuse_color", "display",
    "display_device", "display_settings", "display_type", "dot", "edges", "energy", "engine",
    "evaluated_depsgraph_get", "evaluated_get", "exit", "exposure", "faces", "file_format",
    "filepath", "film_transparent", "free", "from_mesh", "gamma", "hide_render", "image_settings",
    "index", "inputs", "inverted_safe", "is_manifold", "items", "length", "lens", "light",
    "lights", "link", "links", "location", "look", "material", "material_index", "material_slots", "materials",
    "matrix_basis", "matrix_world", "meshes", "metallic", "modifiers", "name", "new",
    "new_from_object", "node_tree", "nodes", "normal_update", "object", "objects", "operation",
    "ops", "outputs", "parent", "parse_args", "pi", "polygons", "radians",
    "read_factory_settings", "remove", "render", "resolution_percentage", "resolution_x",
    "resolution_y", "rotation_euler", "rotation_mode", "roughness", "samples", "save_as_mainfile",
    "scale", "scene", "seed", "sensor_fit", "sensor_width", "setdefault", "shading",
    "shadow_soft_size", "shape", "sin", "size", "size_y", "smooth", "solver", "spot_blend",
    "spot_size", "threads", "threads_mode", "to_3x3", "to_euler", "to_mesh", "to_mesh_clear",
    "to_track_quat", "transform", "translation", "use_denoising", "use_fake_user", "use_smooth",
    "users", "values", "vertices", "verts", "view_settings", "view_transform", "wm", "world",
    "worlds",
    # language v2: the Bevel modifier, mesh assets
    "angle_limit", "limit_method", "segments", "use_clamp_overlap", "width",
    "endswith", "ensure_lookup_table", "gltf", "import_scene", "lower", "obj_import",
    "ply_import", "stl_import", "type",
    # textures: shader nodes, images, UV maps
    "bands_direction", "co", "color_ramp", "image", "elements", "extension", "gradient_type", "images",
    "layers", "load", "loops", "noise_dimensions", "normal", "pack", "packed_file", "projection",
    "rings_direction", "source",
    "uv", "uv_layers", "vert", "wave_profile", "wave_type", "x", "y", "z",
})


class ScriptCheckError(ValueError):
    """A compiled script uses something outside the whitelist (names the line)."""


def _dotted(node: ast.AST) -> str | None:
    """`a.b.c` for an attribute chain rooted at a plain name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _allowed_value_path(path: str) -> bool:
    return any(path == p or path.startswith(p + ".") for p in ALLOWED_MODULE_VALUES)


class _Checker(ast.NodeVisitor):
    def __init__(self, defined_functions: frozenset[str]):
        self.defined = defined_functions
        self._module_chain_ok: set[int] = set()

    def fail(self, node: ast.AST, message: str) -> None:
        raise ScriptCheckError(f"line {getattr(node, 'lineno', '?')}: {message}")

    def generic_visit(self, node: ast.AST) -> None:
        if type(node).__name__ not in ALLOWED_NODES:
            self.fail(node, f"{type(node).__name__} is not allowed in a compiled script")
        super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """Literals are data; skipping NodeVisitor's legacy Num/Str dispatch halves check time."""

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in ALLOWED_IMPORTS or alias.asname:
                self.fail(node, f"import of {alias.name!r} is not allowed")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        allowed = ALLOWED_FROM_IMPORTS.get(node.module or "")
        if allowed is None or node.level:
            self.fail(node, f"import from {node.module!r} is not allowed")
        for alias in node.names:
            if alias.name not in allowed or alias.asname:
                self.fail(node, f"import of {node.module}.{alias.name} is not allowed")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list or node.returns:
            self.fail(node, "decorators and annotations are not allowed")
        self._check_identifier(node, node.name)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self._check_identifier(node, node.arg)
        if node.annotation is not None:
            self.fail(node, "annotations are not allowed")

    def visit_Name(self, node: ast.Name) -> None:
        self._check_identifier(node, node.id)
        if node.id in MODULE_NAMES and id(node) not in self._module_chain_ok:
            self.fail(node, f"module {node.id!r} may only be used through an allowed path")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self.fail(node, f"attribute {node.attr!r} is not allowed")
        if node.attr in FORBIDDEN_ATTRIBUTES or node.attr not in ALLOWED_ATTRIBUTES:
            self.fail(node, f"attribute {node.attr!r} is not allowed")
        path = _dotted(node)
        if path is not None and path.split(".")[0] in MODULE_NAMES:
            if not _allowed_value_path(path):
                self.fail(node, f"{path} is not allowed")
            self._allow_chain(node)
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        path = _dotted(func)
        if isinstance(func, ast.Name):
            name = func.id
            if name in MODULE_NAMES:
                if name not in ALLOWED_MODULE_CALLS:
                    self.fail(node, f"call to {name} is not allowed")
                self._module_chain_ok.add(id(func))
            elif name not in SAFE_BUILTINS | self.defined | ALLOWED_PARAMETER_CALLS:
                self.fail(node, f"call to {name!r} is not allowed")
        elif isinstance(func, ast.Attribute):
            root = path.split(".")[0] if path else None
            if root in MODULE_NAMES:
                method_of_value = _allowed_value_path(path) and func.attr in ALLOWED_METHODS
                if path not in ALLOWED_MODULE_CALLS and not method_of_value:
                    self.fail(node, f"call to {path} is not allowed")
                self._allow_chain(func)
                for part in (*node.args, *node.keywords):
                    self.visit(part)
                return
            if func.attr not in ALLOWED_METHODS or func.attr not in ALLOWED_ATTRIBUTES:
                self.fail(node, f"call to method {func.attr!r} is not allowed")
        else:
            self.fail(node, "only named functions and methods may be called")
        self.generic_visit(node)

    def _allow_chain(self, node: ast.AST) -> None:
        """Mark the root Name of an allowed module path so visit_Name accepts it."""
        while isinstance(node, ast.Attribute):
            if (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES
                    or node.attr not in ALLOWED_ATTRIBUTES):
                self.fail(node, f"attribute {node.attr!r} is not allowed")
            node = node.value
        if isinstance(node, ast.Name):
            self._check_identifier(node, node.id)

    def _check_identifier(self, node: ast.AST, name: str) -> None:
        if name in FORBIDDEN_NAMES:
            self.fail(node, f"name {name!r} is not allowed")
        if name.startswith("__") and name != "__name__":
            self.fail(node, f"name {name!r} is not allowed")


def defined_functions(tree: ast.Module) -> frozenset[str]:
    return frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef))


def check_script(text: str) -> None:
    """Raise ScriptCheckError unless `text` parses and uses only whitelisted constructs."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ScriptCheckError(f"line {exc.lineno}: the script does not parse: {exc.msg}") from None
    _Checker(defined_functions(tree)).visit(tree)


def call_targets(text: str) -> list[str]:
    """Every call target of a script in source order (`bpy.data.meshes.new`, `.link`, `trs`...).

    Method calls on values are written `.name`. Used to compare the call structure of scripts.
    """
    targets = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            path = _dotted(node.func)
            if path is None and isinstance(node.func, ast.Attribute):
                path = "." + node.func.attr
            targets.append(path or type(node.func).__name__)
    return targets
