"""The draft's `Model` as scene language and back: `build_scene` writes it with fixed names
(shapes/objects/materials `ground` and `shape_N`/`object_N`/`material_N`, N from 1, the camera
`camera`, the lights `sun` and `lamp_N`); `model_from_scene` reads such a scene (possibly
edited by later stages) back, or gives None for one it did not write."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scenelang import ast as A
from scenelang.stages.proposers.offline.draft import GROUND_SIZE, Model
from scenelang.stages.proposers.offline.fit import guess_from_shape
from scenelang.stages.proposers.offline.light import DEFAULT_SUN_DIRECTION, Lamp, Lighting


def _rgb(c) -> A.RGB:
    r, g, b = (float(np.clip(round(v, 4), 0.0, 1.0)) for v in c)
    return A.RGB(r=r, g=g, b=b)


def world_statement(world: tuple[float, float, float]) -> A.World:
    """A world statement of linear radiance `world` (strength > 1 when a channel exceeds 1)."""
    peak = max(max(world), 1e-6)
    strength = max(1.0, peak)
    return A.World(color=_rgb(np.asarray(world) / strength), strength=round(strength, 4))


def build_scene(model: Model) -> A.Scene:
    """The scene of `model` (names as in the module docstring)."""
    shapes = [A.ShapeDef(name="ground", shape=A.Plane(size=GROUND_SIZE))]
    mats = [A.MaterialDef(name="ground", material=A.Principled(base_color=_rgb(model.ground),
                                                              roughness=0.8))]
    objs: list = [model.camera, A.ObjectDef(name="ground", shape="ground", material="ground")]
    while len(model.names) < len(model.guesses):
        model.names.append(model.fresh_names())
    for g, (obj, shape, mat) in zip(model.guesses, model.names):
        shapes.append(A.ShapeDef(name=shape, shape=g.shape()))
        mats.append(A.MaterialDef(name=mat, material=A.Principled(
            base_color=_rgb(g.color), metallic=round(g.metallic, 3),
            roughness=round(g.roughness, 3))))
        x, y, z = (round(v, 3) for v in g.at())
        objs.append(A.ObjectDef(name=obj, shape=shape, at=(x, y, z),
                                rotate=(0.0, 0.0, round(g.yaw % 360.0, 2)), material=mat))
    light = model.lighting
    sun = A.Sun(direction=tuple(round(v, 4) for v in light.direction),
                energy=round(float(np.clip(light.energy, 0.0, 1e4)), 4), color=_rgb(light.color))
    return A.Scene(
        geometry=A.Section(name="geometry", statements=tuple(shapes)),
        materials=A.Section(name="materials", statements=tuple(mats)),
        composition=A.Section(name="composition", statements=tuple(objs)),
        lighting=A.Section(name="lighting", statements=(
            world_statement(light.world), A.LightDef(name="sun", light=sun),
            *(A.LightDef(name=f"lamp_{k}", light=A.Point(
                at=tuple(round(float(v), 3) for v in m.at),
                energy=round(float(np.clip(m.energy, 0.0, 1e6)), 2), color=_rgb(m.color)))
              for k, m in enumerate(light.lamps, 1)))),
    )


def model_from_scene(scene: A.Scene) -> Model | None:
    """Read a scene written by `build_scene` (possibly edited by later stages) back into a
    `Model`; None when it is not in that form (then the proposer leaves it alone)."""
    shapes, mats = scene.shapes(), scene.materials_by_name()
    if any(m.material.texture_names() for m in mats.values()):
        return None  # textures: not a scene `build_scene` writes
    guesses, names = [], []
    ground = (0.5, 0.5, 0.5)
    for obj in scene.objects():
        shape = shapes.get(obj.shape)
        if shape is None:
            return None
        if obj.name == "ground":
            if obj.material in mats:
                ground = mats[obj.material].material.base_color.linear()
            continue
        g = guess_from_shape(shape.shape, obj)
        if g is None:
            return None
        if obj.material in mats:
            m = mats[obj.material].material
            g = replace(g, color=m.base_color.linear(), metallic=m.metallic, roughness=m.roughness)
        guesses.append(g)
        names.append((obj.name, obj.shape, obj.material or f"material_of_{obj.name}"))
    suns = [ld.light for ld in scene.lights() if isinstance(ld.light, A.Sun)]
    world = scene.world() or A.World()
    wl = tuple(float(v) * world.strength for v in world.color.linear())
    lamps = tuple(Lamp(tuple(float(v) for v in ld.light.at), float(ld.light.energy),
                       tuple(float(v) for v in ld.light.color.linear()))
                  for ld in scene.lights() if isinstance(ld.light, A.Point))
    if suns:
        s = suns[0]
        lighting = Lighting(tuple(float(v) for v in s.direction), float(s.energy),
                            tuple(float(v) for v in s.color.linear()), wl, lamps)
    else:
        lighting = Lighting(DEFAULT_SUN_DIRECTION, 0.0, (1.0, 1.0, 1.0), wl, lamps)
    return Model(camera=scene.camera(), guesses=guesses, lighting=lighting,
                 ground=tuple(float(v) for v in ground), region_of=[None] * len(guesses),
                 names=names)
