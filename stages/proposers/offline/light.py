"""Light and colour estimates of the offline proposer.

Shading model (what Cycles does for matte surfaces with Blender's conventions): a surface of
linear albedo `a` with normal `n`, lit by a sun of strength `E` travelling along `d` and by a
uniform world of linear radiance `W` (colour x strength), shows linear radiance

    L = a * (W * ambient + E / pi * max(0, n . -d) * visible)

The ground (n = +z, ambient about 1) therefore has `L_lit = a (W + E c / pi)` with
`c = -d_z / |d|`, and in full shadow `L_shadow = a W`; the ratio of the two (what
`vision_segment` measures as `shadow_ratio`) gives `W` relative to `E c / pi`.

- `sun_from_shadows`: the sun direction whose predicted cast shadows (object vertices projected
  along `d` onto z = 0, convex hull per object) best overlap the segmented shadows (grid search
  over azimuth and elevation, then a finer grid around the best).
- `lighting_from_image`: sun strength and world colour from the shadow ratio and, when the sky
  is visible, the background colour.
- `albedo_from_pixels`: base colours from target pixels divided by the modelled shading.
- `ratio_correction`: the multiplicative correction that brings a Cycles render's colour in a
  region to the target's (used between rounds, with the engine's real render).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline.fit import Guess, hull_mask, masked_iou
from scenelang.stages.vision.lamp import fit_lamp
from scenelang.stages.vision.material import DEFAULT_GROUND_ALBEDO, LUMA
from scenelang.stages.vision.segment import srgb_to_linear

DEFAULT_SUN_DIRECTION = (-0.45, 0.35, -0.82)
"""Sun direction (travel) used when the image shows no usable shadow."""
DEFAULT_SUN_ENERGY = 3.0
"""Sun strength (W/m^2) assumed when the image cannot tell it apart from the albedos."""
MAX_ALBEDO = 0.95


def sun_vector(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """The travel direction of a sun at `azimuth` (degrees from +x towards +y, where the light
    comes from) and `elevation` above the horizon: a unit vector pointing down."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    towards = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    return -towards


def predicted_shadow(guesses: Sequence[Guess], direction: np.ndarray, camera: A.Camera,
                     size: tuple[int, int]) -> np.ndarray:
    """Pixels of the ground in the cast shadow of `guesses` for a sun along `direction`
    (object pixels themselves are not removed)."""
    w, h = size
    out = np.zeros((h, w), bool)
    for g in guesses:
        out |= _cast_shadow(g, direction, camera, size)
    return out


def _cast_shadow(g: Guess, direction: np.ndarray, camera: A.Camera,
                 size: tuple[int, int]) -> np.ndarray:
    w, h = size
    d = np.asarray(direction, float)
    if d[2] >= -1e-3:
        return np.zeros((h, w), bool)
    v = g.world_vertices()
    ground = v - d[None, :] * (v[:, 2:3] / d[2])
    uv, depth = project(ground, camera, size)
    if np.any(depth <= 0.1):
        return np.zeros((h, w), bool)
    return hull_mask(uv, (h, w))


class ShadowMasks:
    """Each guess's cast shadow (`predicted_shadow` of it alone) for a sun at (azimuth,
    elevation) degrees, computed once per guess and direction, through one `camera` at one
    `size`. `sun_from_shadows` scores about 220 directions; the remove hypotheses
    (`offline.prune`) score the same directions again for subsets of the same guesses."""

    def __init__(self, camera: A.Camera, size: tuple[int, int]) -> None:
        self.camera, self.size = camera, tuple(size)
        self._masks: dict[tuple[int, float, float], tuple[Guess, np.ndarray]] = {}

    def union(self, guesses: Sequence[Guess], azimuth: float, elevation: float) -> np.ndarray:
        """`predicted_shadow(guesses, sun_vector(azimuth, elevation), ...)`, from the cache."""
        w, h = self.size
        out = np.zeros((h, w), bool)
        for g in guesses:
            key = (id(g), float(azimuth), float(elevation))
            hit = self._masks.get(key)
            if hit is None or hit[0] is not g:  # the guess is kept alive, so its id is its own
                hit = (g, _cast_shadow(g, sun_vector(azimuth, elevation), self.camera, self.size))
                self._masks[key] = hit
            out |= hit[1]
        return out


def sun_from_shadows(guesses: Sequence[Guess], camera: A.Camera, size: tuple[int, int],
                     shadow: np.ndarray, objects: np.ndarray, background: np.ndarray,
                     masks: ShadowMasks | None = None) -> tuple[np.ndarray, float] | None:
    """The sun direction whose cast shadows best match `shadow` (IoU over ground pixels not
    covered by objects), and that IoU; None without shadows or guesses. `masks`: a cache of
    the guesses' shadows through the same `camera` and `size` (default a new one)."""
    if not guesses or shadow.sum() < 8:
        return None
    care = ~objects & ~background
    if masks is None or masks.camera != camera or masks.size != tuple(size):
        masks = ShadowMasks(camera, size)

    def score(az: float, el: float) -> float:
        return masked_iou(masks.union(guesses, az, el), shadow, care)

    coarse = [(score(az, el), az, el) for az in range(0, 360, 15) for el in range(15, 86, 10)]
    best = max(coarse)
    _, az0, el0 = best
    fine = [(score(az0 + da, el0 + de), az0 + da, el0 + de)
            for da in (-10, -5, 0, 5, 10) for de in (-6, -3, 0, 3, 6) if 5 <= el0 + de <= 88]
    best = max(fine + [best])
    if best[0] < 0.15:
        return None
    return sun_vector(best[1], best[2]), float(best[0])


@dataclass(frozen=True)
class Lamp:
    """A nearby point light: `at` (m), `energy` (W), `color` (linear RGB, max channel 1)."""

    at: tuple[float, float, float]
    energy: float
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Lighting:
    """Estimated lights: sun travel `direction`, `energy` (W/m^2), sun `color` (linear RGB,
    max channel 1), world radiance `world` (linear RGB, may exceed 1), and nearby point
    lights `lamps` (written as `light lamp_N = point(...)`)."""

    direction: tuple[float, float, float]
    energy: float
    color: tuple[float, float, float]
    world: tuple[float, float, float]
    lamps: tuple[Lamp, ...] = ()

    def scaled(self, factor: float) -> Lighting:
        """Every light and the world `factor` times as strong."""
        return Lighting(self.direction, self.energy * factor, self.color,
                        tuple(float(v) * factor for v in self.world),
                        tuple(Lamp(m.at, m.energy * factor, m.color) for m in self.lamps))

    def cos_ground(self) -> float:
        d = np.asarray(self.direction, float)
        return float(max(-d[2] / np.linalg.norm(d), 0.05))

    def ground_irradiance(self) -> np.ndarray:
        """The `W + E c / pi` term for the lit ground (linear RGB)."""
        return np.asarray(self.world) + self.energy * np.asarray(self.color) * self.cos_ground() / math.pi


def lighting_from_image(direction: np.ndarray, shadow_ratio: Sequence[float] | None,
                        background: Sequence[float] | None, ground_lit: np.ndarray | None
                        ) -> Lighting:
    """Sun strength and colour and world radiance from the segmentation's cues.

    `shadow_ratio`: linear factor of full shadow on the ground (None: assume 0.15);
    `background`: sRGB sky colour if visible; `ground_lit`: linear colour of the lit ground.
    The sun's colour is the ground's white balance divided by the world's (a grey ground
    assumed when the world is grey)."""
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    c = max(-d[2], 0.05)
    rho = np.clip(np.asarray(shadow_ratio if shadow_ratio is not None else (0.15,) * 3, float),
                  0.02, 0.9)
    energy = DEFAULT_SUN_ENERGY
    sun_color = np.ones(3)
    if background is not None:
        bg = srgb_to_linear(np.asarray(background, float))
        # W = rho / (1 - rho) * E c / pi, with W the sky: solve for E (grey sun)
        ratio = float(np.mean(rho / (1 - rho)))
        energy = float(np.clip(np.mean(bg) * math.pi / (ratio * c), 0.5, 20.0))
        world = bg
    else:
        world = rho / (1 - rho) * energy * c / math.pi
    if ground_lit is not None:
        # the sun's tint: the lit ground's colour relative to its shadow (= the world's) colour
        lit = np.asarray(ground_lit, float)
        shade = lit * rho
        sun_part = np.maximum(lit - shade, 1e-4)
        tint = sun_part / np.maximum(shade, 1e-4) * np.asarray(world) / max(np.max(world), 1e-4)
        tint = tint / max(float(tint.max()), 1e-6)
        if np.ptp(tint) > 0.08:  # a clearly coloured light; otherwise keep it white
            sun_color = np.clip(tint, 0.05, 1.0)
    return Lighting(tuple(float(v) for v in d), float(energy),
                    tuple(float(v) for v in sun_color), tuple(float(v) for v in world))


def albedo_from_pixels(target_linear: np.ndarray, shading: np.ndarray, mask: np.ndarray
                       ) -> tuple[float, float, float] | None:
    """Median of target / shading over the well-lit pixels of `mask` (linear RGB, clipped)."""
    if mask.sum() < 4:
        return None
    s = shading[mask]
    t = target_linear[mask]
    lum = s.mean(axis=1)
    lit = lum >= np.percentile(lum, 50)
    if lit.sum() < 3:
        lit = np.ones(len(lum), bool)
    ratio = t[lit] / np.maximum(s[lit], 1e-3)
    a = np.median(ratio, axis=0)
    return tuple(float(np.clip(v, 0.005, MAX_ALBEDO)) for v in a)


def ratio_correction(target_srgb: np.ndarray, render_srgb: np.ndarray, mask: np.ndarray,
                     limit: float = 4.0) -> np.ndarray | None:
    """Per-channel linear factor `median(target) / median(render)` over `mask`, clipped to
    [1/limit, limit]; None for fewer than 6 pixels."""
    if mask.sum() < 6:
        return None
    t = np.median(srgb_to_linear(target_srgb[mask]), axis=0)
    r = np.median(srgb_to_linear(render_srgb[mask]), axis=0)
    factor = (t + 2e-3) / (r + 2e-3)
    return np.clip(factor, 1 / limit, limit)


def cosine_map(guesses: Sequence[Guess], camera: A.Camera, size: tuple[int, int],
               direction: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel `max(0, n . -d)` of the visible object surface (flat faces, from the preview
    renderer) and the object index map (-1 for none)."""

    # the preview shades `base x irradiance / pi`: a sun of strength pi gives the cosine itself
    scene = probe_scene(guesses, camera, [A.LightDef(name="probe", light=A.Sun(
        direction=tuple(float(v) for v in direction), energy=math.pi))])
    pv = render_preview(scene, size)
    lin = srgb_to_linear(pv.color)[..., 0]
    ids = np.where(pv.silhouette, pv.object_id, -1)
    return lin, ids


def probe_scene(guesses: Sequence[Guess], camera: A.Camera, lights: Sequence[A.LightDef]) -> A.Scene:
    """White objects for `guesses` under `lights` and a black world (for shading probes)."""
    shapes, objects = [], [camera]
    for i, g in enumerate(guesses):
        shapes.append(A.ShapeDef(name=f"p{i}", shape=g.shape()))
        objects.append(A.ObjectDef(name=f"o{i}", shape=f"p{i}", at=g.at(),
                                   rotate=(0.0, 0.0, g.yaw), material="white"))
    white = A.MaterialDef(name="white", material=A.Principled(base_color=A.RGB(r=1, g=1, b=1)))
    return A.Scene(
        geometry=A.Section(name="geometry", statements=tuple(shapes)),
        materials=A.Section(name="materials", statements=(white,)),
        composition=A.Section(name="composition", statements=tuple(objects)),
        lighting=A.Section(name="lighting", statements=(
            A.World(color=A.RGB(r=0, g=0, b=0), strength=0.0), *lights)),
    )


def estimate_lighting(linear: np.ndarray, seg, objects: np.ndarray, guesses: Sequence[Guess],
                      camera: A.Camera, size: tuple[int, int]
                      ) -> tuple[Lighting, tuple[float, float, float]]:
    """The draft's lights and the ground's albedo (linear RGB) from the target.

    - sun direction from the cast shadows (`sun_from_shadows`, else `DEFAULT_SUN_DIRECTION`);
    - a nearby point light from the bright patch on the lit ground (`vision.lamp.fit_lamp`,
      ground pixels at least 3 px from objects), whose share is taken off the ground before
      the sun and the world are estimated;
    - sun strength and world colour from the shadow ratio and the sky (`lighting_from_image`);
    - the overall scale: with a visible sky its colour fixes it (ground albedo = lit ground /
      irradiance, clipped to 0.05..0.9); without one the ground's albedo is taken as
      `material.DEFAULT_GROUND_ALBEDO` (0.7) and every light is scaled to match.
    `seg` is a `vision.segment.Segmentation` of the target, `objects` the object pixels.
    """
    prior = DEFAULT_GROUND_ALBEDO
    found = sun_from_shadows(guesses, camera, size, seg.shadow, objects, seg.background)
    direction = found[0] if found is not None else np.asarray(DEFAULT_SUN_DIRECTION)
    lit = seg.ground & ~seg.shadow
    if lit.sum() <= 10:
        lighting = lighting_from_image(direction, seg.shadow_ratio, seg.background_color, None)
        return lighting, (0.5, 0.5, 0.5)
    clear = lit & ~ndimage.binary_dilation(objects, iterations=3)
    lamp = fit_lamp(linear, clear, camera, prior) if clear.sum() >= 200 else None
    ground_lit = np.median(linear[lit], axis=0)
    base = np.asarray(lamp.base) if lamp is not None else ground_lit
    lighting = lighting_from_image(direction, seg.shadow_ratio, seg.background_color, base)
    sky = seg.background_color is not None and seg.background.sum() > 20
    if sky:
        albedo = np.clip(base / lighting.ground_irradiance(), 0.05, 0.9)
    else:
        irradiance = lighting.ground_irradiance()
        factor = float(base @ LUMA) / max(prior * float(irradiance @ LUMA), 1e-6)
        lighting = lighting.scaled(factor)
        albedo = np.clip(base / lighting.ground_irradiance(), 0.05, 0.9)
    if lamp is not None:
        # fit_lamp's power assumed the prior albedo; the ground's own grey level replaces it
        grey = max(float(albedo @ LUMA), 0.05)
        lighting = replace(lighting, lamps=(Lamp(tuple(round(v, 3) for v in lamp.at),
                                                 lamp.energy * prior / grey, lamp.color),))
    return lighting, tuple(float(v) for v in albedo)
