"""The camera from the boxes' edges, for the draft's camera step.

`horizon_evidence` measures the straight edges of the regions fitted as boxes (within the fit's
silhouette, so that a shadow merged with a region does not count) and fits the camera they
imply (`vision.box_vanishing.box_horizon`: the horizon row the horizontal edges' vanishing
points lie on, the focal length from the orthogonality of each box's two horizontal axes and
from the vertical edges' vanishing point). `box_camera` turns a confident measurement into a
camera: pitch sd at most `MAX_PITCH_SD` degrees, focal length sd at most `MAX_FOCAL_SD`
(relative), pitch and lens inside the search bounds of `vision.camera`, and edges of both
horizontal families, and (when asked) silhouettes that do not contradict it
(`silhouettes_agree`). The draft (`draft.draft_camera`) uses it when no sky/ground boundary is
visible, in place of the silhouette search (which hardly sees the focal length), and fits the
objects again under it (`refit_under`).

Units: metres, degrees, pixels of the analysed image (continuous coordinates, rows down).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy import ndimage

from scenelang import ast as A
from scenelang.backends.camera import focal_length_pixels
from scenelang.stages.proposers.offline.camera_fit import ObjectsScore, carried, evidence
from scenelang.stages.proposers.offline.convex import View, Window, outline_points
from scenelang.stages.proposers.offline.fit import (
    Guess,
    fit_guess,
    fit_single,
    masked_iou,
    silhouette,
)
from scenelang.stages.vision.box_vanishing import BoxHorizon, box_horizon
from scenelang.stages.vision.camera import (
    LENS_BOUNDS,
    PITCH_BOUNDS,
    SENSOR,
    camera_parameters,
    gauge_camera,
)

MAX_PITCH_SD = 1.0
"""Largest sd (degrees) of the boxes' pitch the draft relies on."""
MAX_FOCAL_SD = 0.1
"""Largest relative sd of the boxes' focal length the draft relies on."""
MAX_LOSS = 0.008
"""Largest loss of mean silhouette IoU (twice `camera_fit.MIN_GAIN`, the noise of real
segmentations) the boxes' camera may cost against the start camera (`silhouettes_agree`)."""
REFIT_EVALS = 120
"""Objective evaluations per object (per yaw start for a box) when the objects are fitted
again under the boxes' camera (`refit_under`; as `draft.fit_regions`)."""
SLACK = 2
"""Pixels the box fit's silhouette is widened by to bound where its edges are looked for."""


def horizon_evidence(image: np.ndarray, regions: Sequence[np.ndarray], guesses: Sequence[Guess],
                     index: Sequence[int], camera: A.Camera, size: tuple[int, int]
                     ) -> BoxHorizon | None:
    """The horizon measured on the edges of the regions whose `guesses` are boxes
    (`index[i]` is `guesses[i]`'s region among `regions`; the other regions occlude), with
    `camera`'s focal length as the prior's centre, or None when there is no box or no
    estimate."""
    boxes = [(g, i) for g, i in zip(guesses, index) if g.kind == "box"]
    if not boxes:
        return None
    union = np.zeros(regions[0].shape, bool)
    for m in regions:
        union |= m
    # the region where the fit's silhouette is (shadows merged with the region left out)
    masks = [regions[i] & ndimage.binary_dilation(silhouette(g, camera, size), iterations=SLACK)
             for g, i in boxes]
    return box_horizon(image, masks, focal=focal_length_pixels(camera, size),
                       others=[union & ~regions[i] for _, i in boxes])


def confident(found: BoxHorizon | None) -> bool:
    """True when `found` is a measurement the draft relies on (see the module docstring)."""
    if found is None:
        return False
    families = {ln.family for ln in found.lines}
    lens = found.focal * SENSOR / max(found.size)
    return (found.tilt_sd <= MAX_PITCH_SD and found.focal_sd <= MAX_FOCAL_SD
            and {0, 1} <= families
            and PITCH_BOUNDS[0] + 2 < found.tilt < PITCH_BOUNDS[1] - 10
            and LENS_BOUNDS[0] < lens < LENS_BOUNDS[1])


def box_camera(image: np.ndarray, regions: Sequence[np.ndarray], guesses: Sequence[Guess],
               index: Sequence[int], camera: A.Camera, size: tuple[int, int], *,
               cares: Sequence[np.ndarray] | None = None) -> A.Camera | None:
    """`camera` (distance, azimuth and look-at point kept, in its sensor units) with the pitch
    and lens measured on the boxes' edges (`horizon_evidence`), or None when there is no
    `confident` measurement or `camera` does not look at the ground. With `cares` (per guess,
    the pixels its IoU counts) the silhouettes must not contradict it (`silhouettes_agree`)."""
    params = camera_parameters(camera)
    if params is None:
        return None
    found = horizon_evidence(image, regions, guesses, index, camera, size)
    if not confident(found):
        return None
    assert found is not None
    lens = found.focal * SENSOR / max(size)
    new = gauge_camera(found.tilt, lens, distance=params.distance, azimuth=params.azimuth,
                       look_at=params.ground, resolution=camera.resolution, name=camera.name)
    new = new.model_copy(update={"sensor": camera.sensor,
                                 "lens": round(lens * camera.sensor / SENSOR, 2)})
    if cares is not None and not silhouettes_agree(
            guesses, [regions[i] for i in index], cares, camera, new, size):
        return None
    return new


def silhouettes_agree(guesses: Sequence[Guess], masks: Sequence[np.ndarray],
                      cares: Sequence[np.ndarray], old: A.Camera, new: A.Camera,
                      size: tuple[int, int]) -> bool:
    """True when the objects refitted under `new` explain their silhouettes at most
    `MAX_LOSS` (mean IoU) worse than under `old` (`camera_fit.ObjectsScore` on the objects of
    `camera_fit.evidence`): a region merging a box with another object can make a confident
    but wrong measurement, which the silhouettes then contradict. False without evidence."""
    use = evidence(guesses, masks, cares, old, size)
    if not use:
        return False
    score = ObjectsScore([guesses[i] for i in use], [masks[i] for i in use],
                         [cares[i] for i in use], old, size)
    before = score(old)
    return score(new) >= before - MAX_LOSS


def refit_under(guesses: Sequence[Guess], masks: Sequence[np.ndarray], cares: Sequence[np.ndarray],
                old: A.Camera, new: A.Camera, size: tuple[int, int], *,
                max_evals: int = REFIT_EVALS, deadline: Callable[[], bool] = lambda: False
                ) -> tuple[list[Guess], int]:
    """Every guess (fitted through `old` to `masks[i]`, IoU over `cares[i]`) fitted again, its
    kind kept, through `new`: the better of a local fit from where it is carried over
    (`camera_fit.carried`, then `fit.fit_guess` on the silhouette IoU) and a fresh fit
    (`fit.fit_single`), then fitted again from there, each with `max_evals` evaluations (20
    once `deadline()` has fired).
    Returns (guesses, silhouettes computed)."""
    view = View(new, size)
    out, evals = [], 0
    for g, m, c in zip(guesses, masks, cares):
        if deadline():
            max_evals = 20
        moved = carried(g, old, new, size)
        if g.kind == "torus":
            def objective(t: Guess, m=m, c=c) -> float:
                return masked_iou(silhouette(t, new, size), m, c)
        else:
            window = Window(m, c)

            def objective(t: Guess, window=window) -> float:
                return window.iou(view.project(outline_points(t, view)))
        best = fit_guess(moved, objective, max_evals=max_evals)
        fresh = fit_single(g.kind, m, c, new, size, max_evals=max_evals)
        if fresh is not None and fresh[1] > best[1]:
            best = fresh
        # polished from the better start (Nelder-Mead restarted: its simplex collapses)
        polished = fit_guess(best[0], objective, max_evals=max_evals)
        if polished[1] > best[1]:
            best = polished
        evals += max_evals * (5 if g.kind == "box" else 3)
        out.append(replace(best[0], color=g.color, metallic=g.metallic, roughness=g.roughness))
    return out, evals
