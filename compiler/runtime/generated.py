"""The names the rest of every compiled script defines (a declaration, never run).

The script's header (`templates/script.py.j2`) imports `bpy`, `bmesh` and mathutils' `Euler`,
`Matrix`, `Vector` (nothing in the compiler package itself imports Blender: the runtime takes
them from here). `templates/settings.py.j2` defines the render settings below (from
`scenelang.compiler.settings.RenderSettings`, the scene's camera resolution and the source
label); `templates/geometry.py.j2` defines `shape_<name>(ctx, name)` and `mesh_<name>(bm)` per
shape; `templates/scene.py.j2` defines the `build_*` functions. The runtime modules import these
names from here so that linters and readers can resolve them; the compiler drops those imports
when it inlines the runtime, and the script's own definitions take their place.
"""

from typing import Any

bpy: Any
bmesh: Any
Euler: Any
Matrix: Any
Vector: Any

ENGINE: str
DEVICE: str
SAMPLES: int
SEED: int
DENOISE: bool
VIEW_TRANSFORM: str
LOOK: str
EXPOSURE: float
GAMMA: float
FILM_TRANSPARENT: bool
THREADS: int
RESOLUTION: tuple[int, int]
APPLY_CSG: bool
SOURCE: str


def build_materials(ctx):
    """Create every material into `ctx['materials']` (None: the default grey)."""
    raise NotImplementedError


def build_objects(ctx):
    """Create every object into `ctx['scene_objects']`, through its `shape_<name>` function."""
    raise NotImplementedError


def build_lights(ctx):
    """Create every light into `ctx['lights']`, and the world."""
    raise NotImplementedError


def build_camera(ctx):
    """Create the scene camera and return its object."""
    raise NotImplementedError
