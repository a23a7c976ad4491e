"""What an importer reads from a file, before it becomes a scene: plain data in Blender's frame.

Both readers (`blend.py` for .blend files, `gltf.py` for .glb/.gltf) fill a `Description`;
`tosl.py` turns it into a scene AST (`hierarchy.py` nests it into groups and instances).
Everything here is in Blender's convention: z up, metres, 4x4 row-major matrices (numpy),
angles in radians unless a name says degrees, colours linear RGB.
A light or camera looks along its local -z axis with +y up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class MeshData:
    """A mesh's vertices (n x 3, in the mesh's own frame) and faces (vertex-index lists).

    vertices is None when the reader did not load them (too large). triangulated: the faces were
    split into triangles (glTF), so only their count can be compared with a primitive's."""

    name: str
    vertices: np.ndarray | None
    faces: list[list[int]] | None
    triangulated: bool = False
    material_index: int = 0
    """The material slot all its faces use (0: the object's own material, or mixed)."""


@dataclass
class Operand:
    """A live Boolean operand: `node` combined into its owner by `operation`.

    relative: the operand's frame relative to its owner's (4x4); euler: the same rotation as
    Blender's XYZ Euler angles (radians) when the file stores it that way, else None."""

    operation: str  # "union" | "difference" | "intersection"
    node: ObjectData
    relative: np.ndarray
    euler: tuple[float, float, float] | None = None


@dataclass
class ObjectData:
    """A mesh object: its world matrix, mesh, material and Boolean operands (in order).

    part_material: the material of this part's own faces when it differs from the object's
    (a CSG operand's or base's `material NAME` clause: a material slot of the owner), else None."""

    name: str
    mesh: MeshData
    matrix: np.ndarray
    euler: tuple[float, float, float] | None = None
    material: str | None = None
    operands: list[Operand] = field(default_factory=list)
    part_material: str | None = None
    bevel: float | None = None
    """Width (m) of a live Bevel modifier made the way the compiler makes `bevel W`, else None."""
    parent: str | None = None
    """The `key` of the object or `GroupData` it hangs from (None: top level, or the parent is
    not described); `matrix` stays the world matrix either way."""
    key: str = ""
    """A name unique within the description (default `name`; glTF names need not be unique)."""

    def __post_init__(self) -> None:
        self.key = self.key or self.name


@dataclass
class GroupData:
    """A frame that only carries others: a Blender Empty (or a parent that does not render
    itself), a glTF node without a mesh. matrix: its world matrix; for a collection instance the
    frame the collection's objects are placed in (the Empty's matrix moved by the collection's
    instance offset). parent and key as for `ObjectData`."""

    name: str
    matrix: np.ndarray
    euler: tuple[float, float, float] | None = None
    parent: str | None = None
    key: str = ""

    def __post_init__(self) -> None:
        self.key = self.key or self.name


@dataclass
class LightData:
    """kind: point | sun | spot | area. energy in W (sun: W/m^2), angles in radians."""

    name: str
    kind: str
    matrix: np.ndarray
    energy: float
    color: tuple[float, float, float]
    radius: float = 0.1
    angle: float | None = None
    spot_size: float | None = None
    blend: float | None = None
    shape: str | None = None
    size: float | None = None
    size_y: float | None = None


@dataclass
class CameraData:
    """The scene camera: lens and sensor width in mm, resolution in pixels (w, h)."""

    name: str
    matrix: np.ndarray
    euler: tuple[float, float, float] | None
    lens: float
    sensor: float
    resolution: tuple[int, int]


@dataclass
class Report:
    """What the import did, in sentences: recognised, flattened, skipped (with the reason), notes."""

    recognised: list[str] = field(default_factory=list)
    flattened: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Description:
    """A whole file: objects (only those that render), the groups they hang from (parents,
    in file order), materials by name (language parameter names, linear colours; `drivers`: the
    scanned node chains of a .blend's textured inputs), lights, the camera (None: none), the
    world (None: none). Lights and the camera keep world matrices."""

    source: str
    objects: list[ObjectData] = field(default_factory=list)
    groups: list[GroupData] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    """Keys of objects and groups in file order (the composition keeps it; keys not listed
    follow, groups first)."""
    materials: dict[str, dict] = field(default_factory=dict)
    lights: list[LightData] = field(default_factory=list)
    camera: CameraData | None = None
    world: tuple[tuple[float, float, float], float] | None = None
    report: Report = field(default_factory=Report)
    folder: Path | None = None
    """The folder of the file read: image files it refers to must lie in it (None: unknown)."""
