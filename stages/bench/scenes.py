"""Seeded random scenes for the reconstruction benchmark, in three tiers.

Every tier has a random camera (`random_camera`): it looks at a random ground point within
1 m of the origin, from 9 to 13 m away, pitched down 20 to 45 degrees, at an azimuth within 45
degrees of the default camera's, with a lens of 35 to 60 mm (36 mm sensor). The reconstruction
never sees it: it estimates its own camera from the image.

- tier 1: one to three matte objects (box, sphere, cylinder; no rotation) on a grey ground, one
  sun, a dim grey world;
- tier 2: three to six objects (box, sphere, cylinder, cone), about a third of them metal
  (metallic 1, roughness 0.15-0.4), boxes turned about z, a sun and an area light (1-3 m
  square, 3-5 m up, aimed at the scene);
- tier 3: two to five objects, all turned about z, drawn from boxes, spheres, cylinders, cones,
  tori (lying flat) and CSG (a box with a vertical cylindrical hole), coloured sun and point light,
  a coloured ground, a coloured world.

Every object stands on the ground plane z = 0 (a plane of side 1000 m) within 2.3 m of the
camera's aim, lies fully inside the image, and footprints keep 0.25 m apart (objects may still
hide each other partly). `make_scene(tier, seed, size)` is deterministic.
"""

from __future__ import annotations

import colorsys
import math
import random

import numpy as np

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.stages.proposers.offline.fit import Guess

TIERS = (1, 2, 3)
GROUND_SIZE = 1000.0
IMAGE_MARGIN_PX = 3


def _rgb(c) -> A.RGB:
    r, g, b = (round(float(v), 4) for v in c)
    return A.RGB(r=r, g=g, b=b)


def _colour(rng: random.Random) -> tuple[float, float, float]:
    """A fairly saturated linear colour."""
    hue = rng.random()
    sat = rng.uniform(0.45, 0.9)
    val = rng.uniform(0.35, 0.85)

    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return tuple(round(c ** 2.2, 4) for c in (r, g, b))  # type: ignore[return-value]


CAMERA_DISTANCE = (9.0, 13.0)
"""Range (m) of the camera's distance to the point it looks at."""
CAMERA_PITCH = (20.0, 45.0)
"""Range (degrees) of the camera's downward pitch."""
CAMERA_LENS = (35.0, 60.0)
"""Range (mm) of the lens focal length (36 mm sensor)."""
AIM_RADIUS = 1.0
"""The camera looks at a ground point at most this far (m) from the origin."""


def random_camera(rng: random.Random, size: tuple[int, int]) -> A.Camera:
    """A camera drawn as the module docstring says."""
    default = np.asarray(A.DEFAULT_CAMERA.at, float)
    azimuth = math.atan2(default[1], default[0]) + math.radians(rng.uniform(-45, 45))
    pitch = math.radians(rng.uniform(*CAMERA_PITCH))
    distance = rng.uniform(*CAMERA_DISTANCE)
    r, a = AIM_RADIUS * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    look = np.array([r * math.cos(a), r * math.sin(a), 0.0])
    at = look + distance * np.array([math.cos(pitch) * math.cos(azimuth),
                                     math.cos(pitch) * math.sin(azimuth), math.sin(pitch)])
    return A.Camera(name="camera", at=tuple(round(float(v), 3) for v in at),
                    look_at=tuple(round(float(v), 3) for v in look),
                    lens=round(rng.uniform(*CAMERA_LENS), 1), resolution=size)


def _kinds(tier: int) -> tuple[str, ...]:
    return {1: ("box", "sphere", "cylinder"), 2: ("box", "sphere", "cylinder", "cone"),
            3: ("box", "sphere", "cylinder", "cone", "torus", "holed_box")}[tier]


def _object(rng: random.Random, kind: str, tier: int) -> Guess:
    yaw = 0.0 if tier == 1 or kind in ("sphere", "cylinder", "cone", "torus") else rng.uniform(0, 90)
    if tier == 2 and kind != "box":
        yaw = 0.0
    if kind in ("box", "holed_box"):
        dims: tuple[float, ...] = tuple(rng.uniform(0.6, 1.4) for _ in range(3))
    elif kind == "sphere":
        dims = (rng.uniform(0.35, 0.75),)
    elif kind in ("cylinder", "cone"):
        dims = (rng.uniform(0.3, 0.65), rng.uniform(0.7, 1.6))
    else:
        major = rng.uniform(0.5, 0.8)
        dims = (major, rng.uniform(0.15, 0.3) * major)
    return Guess("box" if kind == "holed_box" else kind, dims, 0.0, 0.0, yaw)


def _inside(g: Guess, camera: A.Camera, size: tuple[int, int]) -> bool:
    uv, depth = project(g.world_vertices(), camera, size)
    w, h = size
    m = IMAGE_MARGIN_PX
    return bool(np.all(depth > 0.5) and np.all(uv[:, 0] > m) and np.all(uv[:, 0] < w - m)
                and np.all(uv[:, 1] > m) and np.all(uv[:, 1] < h - m))


def make_scene(tier: int, seed: int, size: tuple[int, int] = (320, 240)) -> A.Scene:
    """A random scene of `tier` (1, 2 or 3) from `seed`, rendered at `size` = (W, H) px."""
    if tier not in TIERS:
        raise ValueError(f"tier must be 1, 2 or 3, got {tier}")
    rng = random.Random(seed * 7919 + tier)
    camera = random_camera(rng, size)
    aim = camera.target()
    count = {1: rng.randint(1, 3), 2: rng.randint(3, 6), 3: rng.randint(2, 5)}[tier]
    placed: list[tuple[Guess, str, dict]] = []
    attempts = 0
    while len(placed) < count and attempts < 400:
        attempts += 1
        kind = rng.choice(_kinds(tier))
        g = _object(rng, kind, tier)
        x, y = aim[0] + rng.uniform(-2.3, 2.3), aim[1] + rng.uniform(-2.3, 2.3)
        g = Guess(g.kind, g.dims, round(x, 3), round(y, 3), round(g.yaw, 1))
        if any(math.hypot(g.x - o.x, g.y - o.y) < g.footprint() + o.footprint() + 0.25
               for o, _, _ in placed):
            continue
        if not _inside(g, camera, size):
            continue
        metal = tier >= 2 and rng.random() < 0.35
        material = {"color": _colour(rng), "metallic": 1.0 if metal else 0.0,
                    "roughness": round(rng.uniform(0.15, 0.4) if metal else rng.uniform(0.5, 0.9), 3)}
        placed.append((g, kind, material))
    shapes = [A.ShapeDef(name="ground", shape=A.Plane(size=GROUND_SIZE))]
    grey = rng.uniform(0.25, 0.55)
    ground = (grey,) * 3 if tier < 3 else tuple(grey * rng.uniform(0.6, 1.0) for _ in range(3))
    mats = [A.MaterialDef(name="ground", material=A.Principled(base_color=_rgb(ground),
                                                              roughness=0.9))]
    objs: list = [camera, A.ObjectDef(name="ground", shape="ground", material="ground")]
    for i, (g, kind, m) in enumerate(placed, 1):
        shape = g.shape()
        if kind == "holed_box":
            hole = A.Cylinder(radius=round(0.25 * min(g.dims[0], g.dims[1]), 3),
                              depth=round(g.dims[2] * 1.2, 3))
            shape = A.Csg(kind="difference", operands=(shape, hole))
        shapes.append(A.ShapeDef(name=f"shape_{i}", shape=shape))
        mats.append(A.MaterialDef(name=f"material_{i}", material=A.Principled(
            base_color=_rgb(m["color"]), metallic=m["metallic"], roughness=m["roughness"])))
        objs.append(A.ObjectDef(name=f"object_{i}", shape=f"shape_{i}",
                                at=tuple(round(v, 3) for v in g.at()),
                                rotate=(0.0, 0.0, g.yaw), material=f"material_{i}"))
    az, el = rng.uniform(0, 360), rng.uniform(35, 70)
    direction = (-math.cos(math.radians(el)) * math.cos(math.radians(az)),
                 -math.cos(math.radians(el)) * math.sin(math.radians(az)),
                 -math.sin(math.radians(el)))
    sun_colour = (1.0, 1.0, 1.0)
    world = (0.05, 0.05, 0.05)
    if tier == 3:
        sun_colour = (1.0, rng.uniform(0.75, 1.0), rng.uniform(0.55, 0.95))
        world = (rng.uniform(0.02, 0.06), rng.uniform(0.03, 0.07), rng.uniform(0.05, 0.1))
    lights: list = [A.World(color=_rgb(world), strength=1.0),
                    A.LightDef(name="sun", light=A.Sun(
                        direction=tuple(round(v, 4) for v in direction),
                        energy=round(rng.uniform(2.5, 4.0), 3), color=_rgb(sun_colour)))]
    if tier == 2:
        lights.append(A.LightDef(name="fill", light=A.Area(
            at=(round(aim[0] + rng.uniform(-4, 4), 2), round(aim[1] + rng.uniform(-4, 4), 2),
                round(rng.uniform(3, 5), 2)),
            look_at=(round(aim[0], 3), round(aim[1], 3), 0.0), size=round(rng.uniform(1, 3), 2),
            energy=round(rng.uniform(200, 500), 1))))
    elif tier == 3:
        lights.append(A.LightDef(name="fill", light=A.Point(
            at=(round(aim[0] + rng.uniform(-4, 4), 2), round(aim[1] + rng.uniform(-4, 4), 2),
                round(rng.uniform(3, 5), 2)),
            energy=round(rng.uniform(150, 400), 1), color=_rgb(_colour(rng)))))
    return A.Scene(
        geometry=A.Section(name="geometry", statements=tuple(shapes)),
        materials=A.Section(name="materials", statements=tuple(mats)),
        composition=A.Section(name="composition", statements=tuple(objs)),
        lighting=A.Section(name="lighting", statements=tuple(lights)),
    )
