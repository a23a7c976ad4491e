"""scenelang for Blender: File > Import > scenelang (.sl) and File > Export > scenelang (.sl).

Import parses and validates a `.sl` file and builds it into the open file with the compiler's
own script (its objects in a new collection named after the file; its world and camera become
the scene's). Export describes the open file and writes it as scenelang text with the same
importer as `scenelang import` (primitives recognised from their meshes, Boolean modifiers as
CSG; what the language cannot hold yet is reported). Both need the `scenelang` package in
Blender's Python: see docs/blender-addon.md. Built into `build/scenelang_blender.zip` by
`make addon`.
"""

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

bl_info = {
    "name": "scenelang",
    "author": "scenelang",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "File > Import > scenelang (.sl), File > Export > scenelang (.sl)",
    "description": "Build .sl scenes in Blender and write Blender scenes as .sl",
    "category": "Import-Export",
}

MISSING = ("the scenelang package is not importable in Blender's Python: install it there "
           "(see docs/blender-addon.md)")


_FAILED = object()


def _through_bridge(operator, action):
    """`action(bridge)`, or `_FAILED` after reporting why on the operator (scenelang missing, or
    the scene or file refused)."""
    try:
        from scenelang_blender import bridge  # lazy: needs the scenelang package
    except ImportError:
        operator.report({"ERROR"}, MISSING)
        return _FAILED
    try:
        return action(bridge)
    except bridge.FAILURES as exc:
        operator.report({"ERROR"}, bridge.message(exc))
        return _FAILED


class IMPORT_SCENE_OT_scenelang(bpy.types.Operator, ImportHelper):
    """Build a scenelang (.sl) scene into the open file"""

    bl_idname = "import_scene.scenelang"
    bl_label = "Import scenelang"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".sl"
    filter_glob: StringProperty(default="*.sl", options={"HIDDEN"})

    def execute(self, context):
        built = _through_bridge(self, lambda bridge: bridge.build_into_open_file(self.filepath))
        if built is _FAILED:
            return {"CANCELLED"}
        self.report({"INFO"}, f"scenelang: built {built} objects from {self.filepath}")
        return {"FINISHED"}


class EXPORT_SCENE_OT_scenelang(bpy.types.Operator, ExportHelper):
    """Write the open file's scene as scenelang (.sl) text"""

    bl_idname = "export_scene.scenelang"
    bl_label = "Export scenelang"
    filename_ext = ".sl"
    filter_glob: StringProperty(default="*.sl", options={"HIDDEN"})

    def execute(self, context):
        report = _through_bridge(self, lambda bridge: bridge.export_open_file(self.filepath))
        if report is _FAILED:
            return {"CANCELLED"}
        for line in report.skipped:
            self.report({"WARNING"}, f"skipped: {line}")
        self.report({"INFO"}, f"scenelang: wrote {self.filepath}")
        return {"FINISHED"}


def menu_import(self, context):
    self.layout.operator(IMPORT_SCENE_OT_scenelang.bl_idname, text="scenelang (.sl)")


def menu_export(self, context):
    self.layout.operator(EXPORT_SCENE_OT_scenelang.bl_idname, text="scenelang (.sl)")


CLASSES = (IMPORT_SCENE_OT_scenelang, EXPORT_SCENE_OT_scenelang)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.TOPBAR_MT_file_import.append(menu_import)
    bpy.types.TOPBAR_MT_file_export.append(menu_export)


def unregister():
    bpy.types.TOPBAR_MT_file_export.remove(menu_export)
    bpy.types.TOPBAR_MT_file_import.remove(menu_import)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
