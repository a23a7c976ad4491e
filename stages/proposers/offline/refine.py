"""Per-stage render-and-compare refinement of the offline proposer.

Each function takes the current `Model` (read back from the engine's current scene), the target
`Analysis` and returns an improved model; the proposer turns the difference into a patch of the
stage's section and the engine accepts it only if the Cycles render scores better.

- geometry: each object's dimensions (and, in the first round, its primitive kind) by
  Nelder-Mead on the joint silhouette objective, positions fixed (an object whose height changes
  keeps its centre: the composition stage puts it back on the ground);
- materials: base colours corrected by the ratio of target to *Cycles render* colour under each
  object's preview mask (the engine's current render), so the preview's shading model need not
  match Cycles; the ground likewise over the lit ground;
- composition: objects set back on the ground, in round 1 the camera's pitch and focal length
  refined jointly with the objects (`refine_camera`), then positions and yaw by Nelder-Mead on
  the joint objective; regions no object explains get a new fitted object, objects that explain no
  region are removed;
- lighting: the sun direction from the cast shadows again (with the refined objects), the world
  colour from the sky (if visible), and the ambient/sun balance from the ratio of shadowed to lit
  ground in the target versus the render; each nearby point light's energy from its ground
  patch in the target versus the render (`vision.lamp.lamp_levels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from scenelang.stages.proposers.offline.camera_fit import carried, estimate_scene_camera, trusted
from scenelang.stages.proposers.offline.draft import (
    Analysis,
    Model,
    colour_guesses,
    fit_regions,
)
from scenelang.stages.proposers.offline.fit import (
    fit_single,
    masked_iou,
    refine_joint,
    silhouette,
    visible_masks,
)
from scenelang.stages.proposers.offline.light import (
    Lamp,
    Lighting,
    predicted_shadow,
    ratio_correction,
    sun_from_shadows,
)
from scenelang.stages.vision.lamp import lamp_levels
from scenelang.stages.vision.segment import srgb_to_linear
from scenelang.stages.vision.shape import classify_silhouette

MIN_MATCH_IOU = 0.05
"""A model object and a target region are matched only above this IoU."""
COLOR_TOLERANCE = 0.02
"""Relative colour change below which a correction is not worth a render."""

Deadline = Callable[[], bool]


def match_regions(model: Model, analysis: Analysis) -> list[int | None]:
    """For each model object, the index of the target region it explains (Hungarian assignment
    on the IoU of its visible pixels with the regions), or None."""
    if not model.guesses or not analysis.regions:
        return [None] * len(model.guesses)
    vis = visible_masks(model.guesses, model.camera, analysis.size)
    iou = np.array([[masked_iou(v, r) for r in analysis.regions] for v in vis])
    rows, cols = linear_sum_assignment(-iou)
    out: list[int | None] = [None] * len(model.guesses)
    for r, c in zip(rows, cols):
        if iou[r, c] >= MIN_MATCH_IOU:
            out[r] = int(c)
    return out


def _targets(model: Model, analysis: Analysis) -> list[np.ndarray]:
    empty = np.zeros(analysis.seg.shape, bool)
    return [analysis.regions[i] if i is not None else empty for i in model.region_of]


# ------------------------------------------------------------------------------ geometry


def refine_geometry(model: Model, analysis: Analysis, round_: int, deadline: Deadline
                    ) -> tuple[Model, int]:
    """Dimensions (and in round 1 the kind) of every object; see the module docstring."""
    model.region_of = match_regions(model, analysis)
    guesses = list(model.guesses)
    evals = 0
    size, cam = analysis.size, model.camera
    targets = _targets(model, analysis)
    if round_ == 1:
        everything = analysis.objects_mask
        for k, (g, region) in enumerate(zip(guesses, model.region_of)):
            if region is None or deadline():
                continue
            mask = analysis.regions[region]
            care = ~(everything & ~mask) & analysis.care
            current = masked_iou(silhouette(g, cam, size), mask, care)
            for kind, conf in classify_silhouette(mask)[:2]:
                if kind == g.kind or kind == "difference" or conf < 0.2:
                    continue
                fitted = fit_single(kind, mask, care, cam, size, max_evals=80)
                evals += 80
                if fitted and fitted[1] > current + 0.03:
                    # keep the object's place: only its shape changes here
                    new = replace(fitted[0], x=g.x, y=g.y, z=g.at()[2], color=g.color,
                                  metallic=g.metallic, roughness=g.roughness)
                    guesses[k], current = new, fitted[1]
    fixed_z = [replace(g, z=g.at()[2]) for g in guesses]
    refined, _, n = refine_joint(fixed_z, targets, cam, size, fit_position=False, fit_dims=True,
                                 max_evals=40 + 20 * round_, deadline=deadline,
                                 care=analysis.care)
    evals += n
    model.guesses = [r if r.z is None or abs(r.z - r.height() / 2) > 1e-3 else replace(r, z=None)
                     for r in refined]
    return model, evals


# ------------------------------------------------------------------------------ materials


def _object_pixels(model: Model, analysis: Analysis) -> list[np.ndarray]:
    vis = visible_masks(model.guesses, model.camera, analysis.size)
    cross = ndimage.generate_binary_structure(2, 1)
    out = []
    for v, region in zip(vis, model.region_of):
        m = v if region is None else v & analysis.regions[region]
        out.append(ndimage.binary_erosion(m, structure=cross))
    return out


def refine_materials(model: Model, analysis: Analysis, render: np.ndarray | None) -> Model:
    """Base colours from the ratio of target to the engine's render (see module docstring);
    without a render, from the shading model."""
    model.region_of = match_regions(model, analysis)
    if render is None or render.shape != analysis.target.shape:
        index = [r if r is not None else 0 for r in model.region_of]
        model.guesses = colour_guesses(analysis, model.camera, model.guesses, index, model.lighting,
                                       ground_albedo=float(np.mean(model.ground)))
        return model
    pixels = _object_pixels(model, analysis)
    guesses = []
    for g, mask in zip(model.guesses, pixels):
        factor = ratio_correction(analysis.target, render, mask)
        if factor is None:
            guesses.append(g)
            continue
        colour = np.clip(np.asarray(g.color) * factor, 0.005, 1.0)
        guesses.append(replace(g, color=tuple(float(c) for c in colour)))
    model.guesses = guesses
    ground = _lit_ground(model, analysis)
    factor = ratio_correction(analysis.target, render, ground)
    if factor is not None:
        model.ground = tuple(float(c) for c in np.clip(np.asarray(model.ground) * factor, 0.005, 1.0))
    return model


def _lit_ground(model: Model, analysis: Analysis) -> np.ndarray:
    seg = analysis.seg
    shadow = predicted_shadow(model.guesses, np.asarray(model.lighting.direction), model.camera,
                              analysis.size)
    mask = seg.ground & ~seg.shadow & ~shadow
    vis = visible_masks(model.guesses, model.camera, analysis.size)
    for v in vis:
        mask &= ~ndimage.binary_dilation(v, iterations=2)
    return mask


def colours_changed(a: Model, b: Model) -> bool:
    """True when some colour differs by more than `COLOR_TOLERANCE` (relative)."""
    pairs = [(np.asarray(x.color), np.asarray(y.color)) for x, y in zip(a.guesses, b.guesses)]
    pairs.append((np.asarray(a.ground), np.asarray(b.ground)))
    return any(np.max(np.abs(x - y) / np.maximum(x, 0.02)) > COLOR_TOLERANCE for x, y in pairs)


# ------------------------------------------------------------------------------ composition


def refine_composition(model: Model, analysis: Analysis, round_: int, deadline: Deadline,
                       *, add_objects: bool = False) -> tuple[Model, int]:
    """Objects on the ground, positions and yaw refined, stray objects removed and (when
    `add_objects`, i.e. the patch may also add shapes and materials) missing ones added."""
    guesses = [replace(g, z=None) for g in model.guesses]
    model.guesses = guesses
    model.region_of = match_regions(model, analysis)
    keep = [k for k, r in enumerate(model.region_of) if r is not None]
    evals = 0
    if round_ == 1 and len(keep) < len(model.guesses):
        model.guesses = [model.guesses[k] for k in keep]
        model.region_of = [model.region_of[k] for k in keep]
        model.names = [model.names[k] for k in keep]
    taken = {r for r in model.region_of if r is not None}
    missing = [i for i in range(len(analysis.regions)) if i not in taken]
    if missing and add_objects and round_ == 1 and not deadline():
        new, index, n = fit_regions(analysis, model.camera, max_evals=80, deadline=deadline,
                                    only=missing)
        evals += n
        for g, region in zip(new, index):
            model.guesses.append(g)
            model.region_of.append(region)
            model.names.append(model.fresh_names())
    if round_ == 1 and not deadline():
        model, n = refine_camera(model, analysis, deadline)
        evals += n
    targets = _targets(model, analysis)
    refined, _, n = refine_joint(model.guesses, targets, model.camera, analysis.size,
                                 fit_position=True, fit_dims=False, max_evals=30 + 15 * round_,
                                 deadline=deadline, care=analysis.care)
    model.guesses = refined
    return model, evals + n


CAMERA_REFINE_EVALS = 16
"""Cameras the composition stage's camera refinement scores: a fixed budget (deterministic)."""


def refine_camera(model: Model, analysis: Analysis, deadline: Deadline) -> tuple[Model, int]:
    """The camera's pitch and focal length refined jointly with the objects: a local search
    around the current camera (its look-at point, azimuth and distance kept) in which every
    matched object is refitted under each candidate camera
    (`offline_camera_fit.estimate_scene_camera`); the new camera and the refitted objects are
    kept when the estimate is `trusted` (enough cameras scored, mean-IoU gain at least
    `MIN_GAIN`). Deterministic: `CAMERA_REFINE_EVALS` cameras; `deadline` is only the
    proposer's safety net."""
    pairs = [(k, r) for k, r in enumerate(model.region_of) if r is not None]
    if not pairs:
        return model, 0
    everything = analysis.objects_mask
    masks = [analysis.regions[r] for _, r in pairs]
    cares = [~(everything & ~m) & analysis.care for m in masks]
    found = estimate_scene_camera(
        [model.guesses[k] for k, _ in pairs], masks, cares, model.camera, analysis.size,
        local=True, max_evals=CAMERA_REFINE_EVALS, stencil=None, deadline=deadline)
    if found is None:
        return model, 0
    estimate, refitted, evals = found
    if not trusted(estimate):
        return model, evals
    guesses = list(model.guesses)
    for (k, _), g in zip(pairs, refitted):
        guesses[k] = g
    others = [k for k, r in enumerate(model.region_of) if r is None]
    for k in others:
        guesses[k] = carried(guesses[k], model.camera, estimate.camera, analysis.size)
    model.guesses = guesses
    model.camera = estimate.camera
    return model, evals


# ------------------------------------------------------------------------------ lighting


def refine_lighting(model: Model, analysis: Analysis, render: np.ndarray | None) -> Model:
    """Sun direction from shadows; world and sun balance from the render (module docstring)."""
    seg = analysis.seg
    light = model.lighting
    found = sun_from_shadows(model.guesses, model.camera, analysis.size, seg.shadow,
                             analysis.objects_mask, seg.background)
    direction = np.asarray(found[0] if found is not None else light.direction, float)
    world = np.asarray(light.world, float)
    energy = light.energy
    if render is not None and render.shape == analysis.target.shape:
        c = max(-direction[2] / np.linalg.norm(direction), 0.05)
        sun = energy * np.asarray(light.color) * c / math.pi
        total = world + sun
        lit = _lit_ground(model, analysis)
        predicted = predicted_shadow(model.guesses, direction, model.camera, analysis.size)
        vis = np.zeros(seg.shape, bool)
        for v in visible_masks(model.guesses, model.camera, analysis.size):
            vis |= v
        target_shadow = seg.shadow & ~vis
        render_shadow = predicted & ~vis & seg.ground
        if seg.background.sum() > 20:
            factor = ratio_correction(analysis.target, render, seg.background)
            if factor is not None:
                world = world * factor
        elif lit.sum() > 20 and target_shadow.sum() > 10 and render_shadow.sum() > 10:
            t_ratio = (np.median(analysis.linear[target_shadow], axis=0)
                       / np.maximum(np.median(analysis.linear[lit], axis=0), 1e-4))
            r_lin = srgb_to_linear(render)
            r_ratio = (np.median(r_lin[render_shadow], axis=0)
                       / np.maximum(np.median(r_lin[lit], axis=0), 1e-4))
            world = np.clip(world * np.clip(t_ratio / np.maximum(r_ratio, 1e-4), 0.25, 4.0),
                            1e-4, None)
            world = np.minimum(world, 0.9 * total)
        sun = np.maximum(total - world, 0.05 * total)
        peak = float(sun.max())
        energy = float(peak * math.pi / c)
        colour = tuple(float(v) for v in np.clip(sun / max(peak, 1e-6), 0.0, 1.0))
        model.lighting = Lighting(tuple(float(v) for v in direction), energy, colour,
                                  tuple(float(v) for v in world),
                                  _lamps_from_render(light.lamps, model, analysis, render, lit))
    else:
        model.lighting = replace(light, direction=tuple(float(v) for v in direction))
    return model


def _lamps_from_render(lamps: tuple[Lamp, ...], model: Model, analysis: Analysis,
                       render: np.ndarray, lit: np.ndarray) -> tuple[Lamp, ...]:
    """Each lamp's energy times the ratio of its ground gain in the target to that in the
    render (`vision.lamp.lamp_levels` at the lamp's place), clipped to 0.5..2."""
    out = []
    r_lin = srgb_to_linear(render)
    for lamp in lamps:
        t = lamp_levels(analysis.linear, lit, model.camera, lamp.at)
        r = lamp_levels(r_lin, lit, model.camera, lamp.at)
        if t is None or r is None or r[1] <= 1e-9 or t[1] <= 0:
            out.append(lamp)
            continue
        factor = float(np.clip(t[1] / r[1], 0.5, 2.0))
        out.append(Lamp(lamp.at, lamp.energy * factor, lamp.color))
    return tuple(out)
