"""Reading .blend files: Blender describes them (`backends/blender/scan.py`), this reads that.

`scan_blends(paths)` runs the fixed scan script once for all the files, in a fresh Blender
subprocess through the runner (`run_script_once`: clean environment, scratch folder, a timeout,
default `SCAN_TIMEOUT` seconds), and returns one JSON entry per file. `describe_blend(entry)`
turns an entry into a `Description`: the objects that render (helpers of live Boolean
modifiers become operands of their owner, and render as objects of their own only when they
are visible in renders too), the parents they hang from (Empties and any other parent become
`GroupData` frames; `tosl`/`hierarchy` nest them into groups), collection instances (an Empty
instancing a collection becomes a frame holding a copy of the collection's objects, placed by
the Empty's matrix and the collection's instance offset; `hierarchy` writes the repeated copies
as `instance` statements), the materials' Principled inputs, the lights and the scene camera (at
their world transforms, also when they have a parent: noted) and the world's Background colour.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np

from scenelang.backends.blender.runner import BlenderError, find_blender, run_script_once
from scenelang.backends.importers.model import (
    CameraData,
    Description,
    GroupData,
    LightData,
    MeshData,
    ObjectData,
    Operand,
    Report,
)

SCAN_SCRIPT = Path(__file__).resolve().parent.parent / "blender" / "scan.py"
SCAN_TIMEOUT = 120.0
"""Seconds Blender may take to open and describe the files (plus a few per file)."""
OPERATIONS = {"UNION": "union", "DIFFERENCE": "difference", "INTERSECT": "intersection"}
BEVEL_SEGMENTS = 3
BEVEL_ANGLE = math.radians(30.0)
"""The Bevel modifier `bevel W` compiles to (`compiler/runtime/meshes.add_bevel`)."""
TEXTURE_INPUTS = ("base_color", "roughness", "normal")
"""Principled inputs whose node chains are read as textures (`importers/textures.py`)."""
LIGHT_KINDS = {"POINT": "point", "SUN": "sun", "SPOT": "spot", "AREA": "area"}
MAX_INSTANCE_DEPTH = 4
"""Collection instances nested deeper than this (an instance in an instanced collection ...)
are skipped, with the reason."""


class ImportFailure(Exception):
    """A file could not be read at all (one line: missing, corrupt, Blender failed)."""


def scan_blends(paths: list[Path], *, timeout: float | None = None,
                blender: str | None = None) -> list[dict]:
    """One scan entry per .blend (`{"ok": False, "error": ...}` for a file Blender cannot open).

    timeout: seconds for the whole Blender run (default SCAN_TIMEOUT + 5 s per file).
    blender: an external Blender executable (default: `$SCENELANG_BLENDER`, else the bpy wheel).
    Raises ImportFailure when Blender itself fails or times out.
    """
    timeout = SCAN_TIMEOUT + 5.0 * len(paths) if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="scenelang-scan-") as scratch:
        out = Path(scratch) / "scan.json"
        log = Path(scratch) / "scan.log"
        args = [str(out), *(str(Path(p).resolve()) for p in paths)]
        try:
            run_script_once(SCAN_SCRIPT.read_text(encoding="utf-8"), args, log, timeout=timeout,
                            blender=find_blender(blender))
            return json.loads(out.read_text(encoding="utf-8"))
        except BlenderError as exc:
            raise ImportFailure(f"Blender could not read the file: {exc.message}") from None
        except (OSError, ValueError) as exc:
            raise ImportFailure(f"Blender gave no description of the file ({exc})") from None


def _matrix(rows) -> np.ndarray:
    return np.asarray(rows, dtype=float).reshape(4, 4)


def _euler(entry: dict) -> tuple[float, float, float] | None:
    return tuple(entry["rotation_euler"]) if entry.get("rotation_mode") == "XYZ" else None


def _material(entry: dict, report: Report) -> dict:
    name = entry["name"]
    if entry.get("surface") == "ShaderNodeBsdfPrincipled":
        inputs = dict(entry["inputs"])
        for key in entry.get("linked", []):
            if key not in TEXTURE_INPUTS:
                report.notes.append(f"material {name}: {key} is driven by other nodes, which "
                                    "the language cannot say: its own value is used")
        inputs["drivers"] = {k: v for k, v in entry.get("drivers", {}).items() if k in TEXTURE_INPUTS}
        inputs["base_color"] = tuple(inputs["base_color"][:3])
        inputs["emission_color"] = tuple(inputs["emission_color"][:3])
        return inputs
    what = entry.get("surface") or "no node tree"
    report.notes.append(f"material {name}: its surface is not a Principled BSDF ({what}); "
                        "imported from its viewport colour, metallic and roughness")
    return {"base_color": tuple(entry["diffuse_color"][:3]), "metallic": entry["metallic"],
            "roughness": entry["roughness"], "alpha": entry["diffuse_color"][3]}


def _is_language_bevel(modifier: dict) -> bool:
    """A Bevel modifier as the compiler makes `bevel W` (3 segments, 30 degree angle limit,
    clamped, width offset on edges), on in renders."""
    return (modifier.get("show_render") and modifier.get("segments") == BEVEL_SEGMENTS
            and modifier.get("limit_method") == "ANGLE" and modifier.get("offset_type") == "OFFSET"
            and modifier.get("affect") == "EDGES" and bool(modifier.get("use_clamp_overlap"))
            and abs(modifier.get("angle_limit", 0.0) - BEVEL_ANGLE) < 1e-5
            and modifier.get("width", 0.0) > 0)


def describe_blend(entry: dict, source: str) -> Description:
    """The Description of one scan entry (see module docstring)."""
    if not entry.get("ok"):
        raise ImportFailure(f"Blender cannot open it: {entry.get('error', 'unknown error')}")
    report = Report()
    description = Description(source=source, report=report,
                              folder=Path(entry["file"]).resolve().parent if entry.get("file") else None)
    objects = {o["name"]: o for o in entry["objects"]}
    meshes = {m["name"]: m for m in entry["meshes"]}
    collections = entry.get("collections", {})
    operand_names = {m["object"] for o in objects.values() for m in o["modifiers"]
                     if m["type"] == "BOOLEAN" and m.get("object")}
    operand_names |= {n for o in objects.values() for m in o["modifiers"]
                      if m["type"] == "BOOLEAN" for n in m.get("collection", [])}
    parents = {o["parent"] for o in objects.values() if o["parent"] is not None}
    mesh_cache: dict[str, MeshData] = {}
    spaces: dict[str, np.ndarray] = {}

    def space(name: str, depth: int = 0) -> np.ndarray:
        """The world matrix of object `name` (for an object only an instanced collection holds:
        in the collection's space, from its parents' and its own local transforms)."""
        if name not in spaces:
            obj = objects[name]
            if obj.get("in_scene", True) or depth > 64:
                spaces[name] = _matrix(obj["matrix_world"])
            else:
                local = _matrix(obj["matrix_parent_inverse"]) @ _matrix(obj["matrix_basis"])
                parent = obj["parent"]
                spaces[name] = (space(parent, depth + 1) @ local if parent in objects
                                else _matrix(obj["matrix_basis"]))
        return spaces[name]

    def mesh_of(obj: dict) -> MeshData:
        name = obj["data"]
        if name not in mesh_cache:
            data = meshes[name]
            vertices = np.asarray(data["vertices"], dtype=float) if "vertices" in data else None
            indices = data.get("material_indices", [])
            mesh_cache[name] = MeshData(name, vertices, data.get("faces"),
                                        material_index=indices[0] if len(indices) == 1 else 0)
        return mesh_cache[name]

    def object_data(obj: dict, seen: tuple[str, ...], slots: list | None = None) -> ObjectData:
        slots = obj.get("slot_materials", []) if slots is None else slots  # the owner's slots
        data = ObjectData(obj["name"], mesh_of(obj), space(obj["name"]), _euler(obj),
                          obj["material"])
        index = data.mesh.material_index
        if 0 < index < len(slots):  # a Boolean keeps operand faces' slots on the owner
            data.part_material = slots[index]
        for modifier in obj["modifiers"]:
            what = f"object {obj['name']}: modifier {modifier['name']} ({modifier['type']})"
            if modifier["type"] == "BEVEL" and _is_language_bevel(modifier) and not seen[1:]:
                data.bevel = modifier["width"]
                continue
            if modifier["type"] != "BOOLEAN":
                report.notes.append(f"{what} ignored: the language has no such modifier (or "
                                    "settings `bevel W` does not make)")
                continue
            if not modifier["show_render"]:
                report.notes.append(f"{what} ignored: it is off in renders")
                continue
            names = ([modifier["object"]] if modifier["operand_type"] == "OBJECT"
                     else modifier.get("collection", []))
            for name in names:
                other = objects.get(name) if name else None
                if other is None or other["type"] != "MESH" or name in seen:
                    report.notes.append(f"{what} ignored: no usable mesh operand")
                    continue
                operand = object_data(other, (*seen, name), slots)
                relative = np.linalg.pinv(data.matrix) @ operand.matrix  # a zero scale is refused later
                euler = None
                if (other["parent"] == obj["name"]
                        and np.allclose(_matrix(other["matrix_parent_inverse"]), np.eye(4))):
                    relative, euler = _matrix(other["matrix_basis"]), _euler(other)
                data.operands.append(Operand(OPERATIONS[modifier["operation"]], operand, relative,
                                             euler))
        return data

    def place(obj: dict, frame: np.ndarray | None, prefix: str, parent: str | None,
              depth: int) -> None:
        """Describe `obj` (and an Empty's collection), placed by `frame @ space(obj)` (frame
        None: the scene's own object at its world matrix); its key is `prefix + name`."""
        name, kind = obj["name"], obj["type"]
        key = prefix + name
        description.order.append(key)
        world = space(name) if frame is None else frame @ space(name)
        is_parent = name in parents
        holder = obj["parent"] or (prefix.rstrip("/").rsplit("/", 1)[-1] if prefix else None)
        if kind == "MESH" and obj["renders"]:
            if name in operand_names and not prefix:
                report.notes.append(f"object {name} is a Boolean operand and renders too: "
                                    "imported as an object of its own as well")
            data = object_data(obj, (name,))
            data.matrix, data.parent, data.key = world, parent, key
            description.objects.append(data)
            return
        if kind == "MESH" and name not in operand_names and not prefix:
            report.skipped.append(f"object {name}: hidden in renders")
        elif kind == "LIGHT":
            add_light(obj, world, holder)
        elif kind == "CAMERA" and not prefix:
            add_camera(obj, world, holder)
        elif kind == "EMPTY" and obj.get("instances"):
            instance(obj, world, key, parent, depth)
            return
        elif kind not in ("MESH", "EMPTY", "CAMERA"):
            report.skipped.append(f"object {name}: {kind.lower()} objects are not in the "
                                  "language (convert it to a mesh in Blender to import it as "
                                  "a mesh asset)")
        if kind == "EMPTY" or is_parent:  # a frame for what hangs from it
            description.groups.append(GroupData(name, world, _euler(obj), parent, key))

    def instance(obj: dict, world: np.ndarray, key: str, parent: str | None, depth: int) -> None:
        """An Empty instancing a collection: a frame holding a copy of the collection's objects
        (`hierarchy` makes the copies after the first `instance` statements)."""
        name, target = obj["name"], obj["instances"]
        info = collections.get(target)
        if not obj["renders"] or info is None or depth >= MAX_INSTANCE_DEPTH:
            why = ("hidden in renders" if not obj["renders"] else "the collection is not described"
                   if info is None else f"instances nest deeper than {MAX_INSTANCE_DEPTH}")
            report.skipped.append(f"object {name}: an instance of collection {target}: {why}")
            description.groups.append(GroupData(name, world, _euler(obj), parent, key))
            return
        shift = np.eye(4)
        shift[:3, 3] = -np.asarray(info["offset"], dtype=float)
        frame = world @ shift
        description.groups.append(GroupData(name, frame, _euler(obj), parent, key))
        members = set(info["objects"])
        for member in info["objects"]:
            other = objects.get(member)
            if other is None:
                continue
            up = other["parent"]
            place(other, frame, f"{key}/", f"{key}/{up}" if up in members else key, depth + 1)

    def add_light(obj: dict, world: np.ndarray, holder: str | None) -> None:
        """A light at its world matrix (also when it hangs from `holder`, which is noted)."""
        name, light = obj["name"], obj["light"]
        if not obj["renders"]:
            report.skipped.append(f"light {name}: hidden in renders")
            return
        if light["type"] not in LIGHT_KINDS:
            report.skipped.append(f"light {name}: {light['type']} lights are not in the language")
            return
        if holder is not None:
            report.notes.append(f"light {name}: placed in the lighting section at its world "
                                f"transform (it hangs from {holder})")
        description.lights.append(LightData(
            name, LIGHT_KINDS[light["type"]], world, light["energy"],
            tuple(light["color"]), light["shadow_soft_size"], light.get("angle"),
            light.get("spot_size"), light.get("spot_blend"), light.get("shape"),
            light.get("size"), light.get("size_y")))

    def add_camera(obj: dict, world: np.ndarray, holder: str | None) -> None:
        name, cam = obj["name"], obj["camera"]
        if name != entry["camera"]:
            report.skipped.append(f"camera {name}: not the scene camera (the language has one)")
            return
        if cam["type"] != "PERSP":
            report.notes.append(f"camera {name}: {cam['type']} imported as a perspective camera")
        if cam["sensor_fit"] == "VERTICAL" or (cam["shift_x"], cam["shift_y"]) != (0, 0):
            report.notes.append(f"camera {name}: sensor fit {cam['sensor_fit']} and lens "
                                "shift are not in the language (AUTO fit, no shift used)")
        if holder is not None:
            report.notes.append(f"camera {name}: placed at its world transform (it hangs from "
                                f"{holder}; the camera is never in a group)")
        description.camera = CameraData(name, world, _euler(obj) if holder is None else None,
                                         cam["lens"], cam["sensor_width"],
                                         tuple(entry["resolution"]))

    for obj in entry["objects"]:
        if obj.get("in_scene", True):
            up = obj["parent"]
            place(obj, None, "", up if up in objects else None, 0)
    for material in entry["materials"]:
        description.materials[material["name"]] = _material(material, report)
    world = entry.get("world")
    if world is not None:
        background = world.get("background")
        if background is not None:
            if background["linked"]:
                report.notes.append("world: its colour is driven by other nodes (an HDRI?); "
                                    "its own value is used")
            description.world = (tuple(background["color"][:3]), float(background["strength"]))
        else:
            report.notes.append(f"world: no Background node ({world.get('surface')}); imported "
                                "from its viewport colour")
            description.world = (tuple(world["color"][:3]), 1.0)
    return description
