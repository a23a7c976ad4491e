"""Camera and objects together: the render-and-compare objective `vision.camera` optimises.

For a candidate camera, every object already fitted under a reference camera is carried over
(`transfer`: same image position of its ground contact, size scaled by the change of distance)
and refitted quickly to its silhouette (`fit.fit_guess` on the masked IoU, the other objects'
pixels "don't care"); the score of the camera is the mean IoU. A wrong pitch or focal length
shows as objects whose shapes cannot match their silhouettes everywhere at once (cylinder tops
too round or too flat, box edges converging wrongly, spheres elongated the wrong way).

`estimate_scene_camera` runs `vision.camera.estimate_camera` with this objective and returns the
camera in the gauge of `vision.camera` (look-at point = origin, default azimuth, the default
camera's distance as the scale prior) with the objects refitted under it. (`View`, `Window`
and `outline_points`, the fast convex IoU, live in `offline.convex` and are re-exported here.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from scenelang import ast as A
from scenelang.backends.camera import backproject_to_plane, focal_length_pixels, project
from scenelang.stages.proposers.offline.convex import View, Window, outline_points
from scenelang.stages.proposers.offline.fit import Guess, fit_guess, masked_iou, silhouette
from scenelang.stages.vision.camera import (
    DEFAULT_AZIMUTH,
    DEFAULT_DISTANCE,
    LENS_BOUNDS,
    PITCH_BOUNDS,
    SENSOR,
    CameraEstimate,
    CameraParameters,
    camera_parameters,
    estimate_camera,
    gauge_camera,
    lens_from_vertical,
    pitch_from_horizon,
)
from scenelang.stages.vision.ellipses import CircleCamera, circle_camera, measure_circles
from scenelang.stages.vision.vanishing import vertical_vanishing

MIN_EVIDENCE_IOU = 0.7
"""Objects whose reference fit is below this IoU are not used as camera evidence."""
MIN_GAIN = 0.004
"""Mean-IoU gain over the start camera an estimate needs to be trusted (`trusted`): smaller
gains are within the noise of real segmentations."""
MIN_SCORED = 10
"""Cameras an estimate must have scored to be trusted (fewer: the search was cut short)."""
MAX_EVIDENCE = 4
"""At most this many objects (the largest) are refitted per candidate camera."""
EVALS_PER_PARAMETER = 15
"""Nelder-Mead evaluations per free parameter of an object's refit under a candidate camera."""


def transfer(g: Guess, old: A.Camera, new: A.Camera, size: tuple[int, int]) -> Guess | None:
    """`g` (fitted through `old`) moved so that its ground contact keeps its image position
    through `new`, its dimensions scaled so that its image size stays the same; None when that point
    does not meet the ground through `new`. (The scale is the ratio of metres per pixel at the
    contact: distance over focal length in pixels.)"""
    uv, _ = project(np.array([[g.x, g.y, 0.0]]), old, size)
    if not np.all(np.isfinite(uv)):
        return None
    ground = backproject_to_plane(uv, new, size)[0]
    if not np.all(np.isfinite(ground)):
        return None
    before = float(np.linalg.norm(np.asarray(old.at) - np.array([g.x, g.y, 0.0])))
    after = float(np.linalg.norm(np.asarray(new.at) - ground))
    s = (after / focal_length_pixels(new, size)) / max(before / focal_length_pixels(old, size), 1e-9)
    z = None if g.z is None else g.z * s
    return replace(g, x=float(ground[0]), y=float(ground[1]),
                   dims=tuple(float(d * s) for d in g.dims), z=z)


def carried(g: Guess, old: A.Camera, new: A.Camera, size: tuple[int, int]) -> Guess:
    """`transfer(g, old, new, size)`, or `g` unchanged when its contact point does not meet
    the ground through `new`."""
    moved = transfer(g, old, new, size)
    return g if moved is None else moved


class ObjectsScore:
    """`score(camera)`: the mean silhouette IoU of the objects refitted under `camera`.

    `guesses[i]` (fitted through `reference`) explains `masks[i]` counted over `cares[i]`. The
    refitted guesses of every camera scored are kept in `fits` (key: the camera's position and
    lens); `evals` counts the silhouettes computed. Only convex kinds (not the torus)."""

    def __init__(self, guesses: Sequence[Guess], masks: Sequence[np.ndarray],
                 cares: Sequence[np.ndarray], reference: A.Camera, size: tuple[int, int]):
        self.guesses = list(guesses)
        self.windows = [Window(m, c) for m, c in zip(masks, cares)]
        self.reference, self.size = reference, size
        self.fits: dict[tuple, list[Guess]] = {}
        self._scored: list[tuple[A.Camera, list[Guess]]] = []
        self.evals = 0

    @staticmethod
    def key(camera: A.Camera) -> tuple:
        return (tuple(camera.at), camera.target(), camera.focal_length(), camera.sensor)

    def refit(self, camera: A.Camera) -> tuple[list[Guess], list[float]]:
        """Every object refitted under `camera` and its IoU."""
        view = View(camera, self.size)
        source, starts = self._nearest(camera)
        out, ious = [], []
        for g, start, window in zip(self.guesses, starts, self.windows):
            moved = transfer(start, source, camera, self.size)
            if moved is None:
                out.append(g)
                ious.append(0.0)
                continue

            def objective(c: Guess, window=window) -> float:
                return window.iou(view.project(outline_points(c, view)))

            n = EVALS_PER_PARAMETER * (2 + len(g.dims) + (g.kind == "box"))
            fitted, iou = fit_guess(moved, objective, max_evals=n)
            self.evals += n
            out.append(fitted)
            ious.append(iou)
        return out, ious

    def _nearest(self, camera: A.Camera) -> tuple[A.Camera, list[Guess]]:
        """The scored camera nearest `camera` in (pitch, log lens) and its fits (a warm start
        for the refits), or the reference camera and the given guesses."""
        here = camera_parameters(camera)
        best, out = math.inf, (self.reference, self.guesses)
        if here is None:
            return out
        for cam, fits in self._scored:
            p = camera_parameters(cam)
            if p is None:
                continue
            d = ((p.pitch - here.pitch) / 4.0) ** 2 + math.log2(p.lens / here.lens) ** 2 / 0.04
            if d < best:
                best, out = d, (cam, fits)
        return out

    def __call__(self, camera: A.Camera) -> float:
        fitted, ious = self.refit(camera)
        self.fits[self.key(camera)] = fitted
        self._scored.append((camera, fitted))
        return float(np.mean(ious)) if ious else 0.0


def start_camera(camera: A.Camera, pitch: float, lens: float, size: tuple[int, int]) -> A.Camera:
    """The gauge camera (`vision.camera.gauge_camera`: look-at point the origin, default
    azimuth, `DEFAULT_DISTANCE`) of `pitch` and `lens` (36 mm sensor), with `camera`'s
    resolution and sensor (the lens converted to it)."""
    out = gauge_camera(pitch, lens, distance=DEFAULT_DISTANCE, resolution=tuple(size),
                       name=camera.name)
    out = out.model_copy(update={"resolution": camera.resolution})
    if camera.sensor != out.sensor:
        out = out.model_copy(update={"sensor": camera.sensor,
                                     "lens": round(lens * camera.sensor / 36.0, 2)})
    return out


def trusted(est: CameraEstimate, *, gain: bool = True) -> bool:
    """True when `est` scored at least `MIN_SCORED` cameras, beats its start by `MIN_GAIN`
    (not asked with `gain=False`: a one-dimensional scan, see `offline.draft.draft_camera`)
    and does not sit on a bound of the search (a sign of a flat ridge, not of a measurement)."""
    inside = (LENS_BOUNDS[0] * 1.02 < est.lens < LENS_BOUNDS[1] / 1.02
              and PITCH_BOUNDS[0] + 0.5 < est.pitch < PITCH_BOUNDS[1] - 0.5)
    return (inside and len(est.evaluations) >= MIN_SCORED
            and (not gain or est.gain() >= MIN_GAIN))


PITCH_BLIND = ("sphere",)
"""Kinds whose silhouette does not depend on the pitch: a sphere resting on the ground looks
the same from any camera height (its contact, size and distance trade exactly), so only its
off-axis elongation (the focal length, a fraction of a pixel at the draft's size) is seen."""
MIN_SHAPE_EVIDENCE = 2
"""Evidence objects of kinds not `PITCH_BLIND` the draft's silhouette search needs to be
trusted: one object's own proportions (a box's height against its depth, its turn) absorb a
change of pitch."""


def evidence(guesses: Sequence[Guess], masks: Sequence[np.ndarray], cares: Sequence[np.ndarray],
             camera: A.Camera, size: tuple[int, int], *, skip_blind: bool = False) -> list[int]:
    """Indices of the objects worth using as camera evidence: fitted with IoU at least
    `MIN_EVIDENCE_IOU`, not tori (too slow to refit), the `MAX_EVIDENCE` largest; with
    `skip_blind`, not of a `PITCH_BLIND` kind either."""
    good = []
    for i, (g, m, c) in enumerate(zip(guesses, masks, cares)):
        if g.kind == "torus" or m.sum() < 30 or (skip_blind and g.kind in PITCH_BLIND):
            continue
        if masked_iou(silhouette(g, camera, size), m, c) >= MIN_EVIDENCE_IOU:
            good.append(i)
    good.sort(key=lambda i: -int(masks[i].sum()))
    return good[:MAX_EVIDENCE]


GAUGE_SNAP = 1e-3
"""A start camera whose gauge is within this (m for the distance and the look-at point, degrees
for the azimuth) of the default gauge is in it: `gauge_camera` rounds coordinates to 0.1 mm,
and reading the gauge back from rounded coordinates must not move the search's cameras."""


def search_gauge(params: CameraParameters) -> tuple[float, float, tuple[float, float, float]]:
    """(distance, azimuth, look-at point) every candidate of the camera search keeps: the start
    camera's (`params`), or exactly the default gauge's (`DEFAULT_DISTANCE`, `DEFAULT_AZIMUTH`,
    the origin) when the start is in it up to `GAUGE_SNAP`."""
    if (abs(params.distance - DEFAULT_DISTANCE) <= GAUGE_SNAP
            and abs(params.azimuth - DEFAULT_AZIMUTH) <= GAUGE_SNAP
            and max(abs(v) for v in params.ground) <= GAUGE_SNAP):
        return DEFAULT_DISTANCE, DEFAULT_AZIMUTH, (0.0, 0.0, 0.0)
    return params.distance, params.azimuth, tuple(params.ground)


def estimate_scene_camera(guesses: Sequence[Guess], masks: Sequence[np.ndarray],
                          cares: Sequence[np.ndarray], camera: A.Camera, size: tuple[int, int], *,
                          horizon_row: float | None = None, local: bool = False,
                          max_evals: int = 30, stencil: tuple[float, float] | None = (2.0, 0.1),
                          deadline: Callable[[], bool] = lambda: False,
                          vertical: tuple[float, float] | None = None,
                          circles: CircleCamera | None = None, skip_blind: bool = False,
                          use: Sequence[int] | None = None, fixed_lens: float | None = None
                          ) -> tuple[CameraEstimate, list[Guess], int] | None:
    """The camera that best explains the objects' silhouettes, with the objects refitted.

    `guesses[i]` was fitted through `camera` to `masks[i]` (IoU over `cares[i]`). Every
    candidate keeps `camera`'s gauge (the point its axis meets the ground, its azimuth and its
    distance to that point: none is seen in one image), so a start camera the user placed keeps
    its framing and only its pitch and lens change. `local`: a refinement around `camera`
    (small first steps) rather than a search from `camera`'s pitch and lens (with a horizon the
    pitch follows the lens; without one, with `vertical` = (K px, relative sd) from
    `vision.vanishing`, the lens follows the pitch, starting from `camera`'s pitch), whose
    score is the estimate's `start_score`. `max_evals`
    cameras are scored, plus four for the ambiguity (`stencil`, see
    `vision.camera.estimate_camera`). `circles` (`circle_evidence`; not with `local`): the
    search starts at their pitch and every camera's score loses `circle_penalty`. `fixed_lens`
    (mm, 36 mm sensor; only without `horizon_row` and `vertical`): the lens is held there and
    only the pitch is searched (`estimate_camera(fixed_lens=...)`). `skip_blind`:
    objects of `PITCH_BLIND` kinds are not evidence (see `evidence`). `use`: the evidence
    objects' indices when the caller has computed them already (`evidence(guesses, masks, cares,
    camera, size, skip_blind=skip_blind)`; one silhouette per object saved). Returns (estimate,
    every guess refitted under the estimated camera — the ones not used as evidence are only
    transferred —, silhouettes computed), or None when there is no evidence or `camera` does not
    look at the ground."""
    params = camera_parameters(camera)
    if params is None:
        return None
    if use is None:
        use = evidence(guesses, masks, cares, camera, size, skip_blind=skip_blind)
    use = list(use)
    if not use:
        return None
    score = ObjectsScore([guesses[i] for i in use], [masks[i] for i in use],
                         [cares[i] for i in use], camera, size)
    distance, azimuth, look_at = search_gauge(params)

    def make(p: float, f: float) -> A.Camera:
        return gauge_camera(p, f, distance=distance, azimuth=azimuth, look_at=look_at,
                            resolution=tuple(size), name=camera.name)
    steps = (2.5, 0.15) if local else (8.0, 0.5)
    start = (params.pitch, params.lens)
    if local:
        vertical = circles = None
    held = fixed_lens if horizon_row is None and vertical is None else None
    if circles is not None:
        start = (circles.pitch, circles.lens if circles.tied else params.lens)
    if horizon_row is not None and not local:
        start = (pitch_from_horizon(horizon_row, params.lens, size), params.lens)
    elif vertical is not None:
        start = (start[0], lens_from_vertical(vertical[0], start[0], size))
    elif held is not None:
        start = (start[0], held)
    objective = score if circles is None else (lambda cam: score(cam) - circle_penalty(circles, cam))
    est = estimate_camera(objective, tuple(size), start=start, horizon_row=horizon_row, steps=steps,
                          max_evals=max_evals, stencil=stencil, deadline=deadline,
                          make_camera=make, vertical=vertical, fixed_lens=held)
    first = make(*start)
    est.start_score = next((e[2] for e in est.evaluations
                            if ObjectsScore.key(make(e[0], e[1])) == ObjectsScore.key(first)), None)
    if est.start_score is None:
        est.start_score = objective(first)
    fitted = score.fits.get(ObjectsScore.key(est.camera))
    if fitted is None:
        fitted, _ = score.refit(est.camera)
    out = []
    for i, g in enumerate(guesses):
        if i in use:
            out.append(fitted[use.index(i)])
        else:
            out.append(carried(g, camera, est.camera, size))
    # the estimate's camera keeps the resolution and sensor of the request
    est.camera = est.camera.model_copy(update={"resolution": camera.resolution})
    if math.isfinite(est.pitch) and est.camera.sensor != camera.sensor:
        est.camera = est.camera.model_copy(update={"sensor": camera.sensor,
                                                   "lens": round(est.lens * camera.sensor / 36.0, 2)})
    return est, out, score.evals


VERTICAL_MAX_SD = 0.15
"""Largest relative sd of the vertical vanishing point's distance K (`vertical_evidence`) the
draft's camera step relies on."""
VERTICAL_KINDS = ("box", "cylinder")
"""Fitted kinds whose regions show vertical outline edges."""


def vertical_evidence(regions: Sequence[np.ndarray], image: np.ndarray, guesses: Sequence[Guess],
                      index: Sequence[int]) -> tuple[float, float] | None:
    """(K px, relative sd) of the vertical vanishing point (`vision.vanishing`) in `image`
    from the outlines of the `regions` fitted as boxes or cylinders (`index[i]` is
    `guesses[i]`'s region; the other regions only occlude), or None when it is not measured
    or its sd exceeds `VERTICAL_MAX_SD`."""
    skip = [True] * len(regions)
    for g, i in zip(guesses, index):
        skip[i] = g.kind not in VERTICAL_KINDS
    found = vertical_vanishing(regions, image, skip=skip)
    if found is None or found.sd > VERTICAL_MAX_SD:
        return None
    return found.k, found.sd


def camera_with_lens(camera: A.Camera, k: float, size: tuple[int, int]) -> A.Camera:
    """`camera` (pitch, distance, azimuth and look-at point kept) with the lens that puts the
    vertical vanishing point `k` px below the image centre (`lens_from_vertical`, clipped to
    `LENS_BOUNDS`), in `camera`'s sensor units; unchanged when it does not look at the ground."""
    params = camera_parameters(camera)
    if params is None:
        return camera
    lens = float(np.clip(lens_from_vertical(k, params.pitch, size), *LENS_BOUNDS))
    new = gauge_camera(params.pitch, lens, distance=params.distance, azimuth=params.azimuth,
                       look_at=params.ground, resolution=camera.resolution, name=camera.name)
    return new.model_copy(update={"sensor": camera.sensor,
                                  "lens": round(lens * camera.sensor / SENSOR, 2)})


CIRCLE_MAX_PITCH_SD = 3.5
"""Largest pitch sd (degrees) of the horizontal circles' camera (`circle_evidence`) the
draft's camera step relies on."""
CIRCLE_WEIGHT = 0.005
"""Score (IoU) a camera loses per unit of the circles' chi-square above their best camera's
(`circle_penalty`): two sd off costs 0.02, five times what `MIN_GAIN` calls significant."""
CIRCLE_KINDS = ("cylinder", "torus")
"""Fitted kinds whose regions are measured for horizontal circles (`vision.ellipses`)."""


def circle_evidence(regions: Sequence[np.ndarray], image: np.ndarray, guesses: Sequence[Guess],
                    index: Sequence[int], size: tuple[int, int], *,
                    vertical: tuple[float, float] | None = None,
                    horizon_row: float | None = None) -> CircleCamera | None:
    """The camera of the horizontal circles (`vision.ellipses`: cylinders' top rims, tori's
    rings) of the `regions` fitted as cylinders or tori (`index[i]` is `guesses[i]`'s region),
    tied to the horizon row or else the vertical vanishing point (K px, sd) when given; None
    when nothing is measured or its pitch sd exceeds `CIRCLE_MAX_PITCH_SD`."""
    kinds: list[str | None] = [None] * len(regions)
    for g, i in zip(guesses, index):
        kinds[i] = g.kind if g.kind in CIRCLE_KINDS else None
    found = circle_camera(measure_circles(regions, image, kinds), size,
                          vertical_k=vertical[0] if vertical is not None else None,
                          horizon_row=horizon_row)
    if found is None or not found.pitch_sd <= CIRCLE_MAX_PITCH_SD:
        return None
    return found


def circle_penalty(circles: CircleCamera, camera: A.Camera) -> float:
    """`CIRCLE_WEIGHT` x the circles' chi-square excess (`CircleCamera.chi2_at`) at `camera`
    (0 when it does not look at the ground)."""
    params = camera_parameters(camera)
    if params is None:
        return 0.0
    return CIRCLE_WEIGHT * max(circles.chi2_at(params.pitch, params.lens), 0.0)


def camera_from_circles(camera: A.Camera, circles: CircleCamera, size: tuple[int, int]
                        ) -> A.Camera:
    """`camera` (distance, azimuth and look-at point kept) turned to the circles' pitch, with
    their lens when it is tied to a horizon or vanishing point (else `camera`'s), in `camera`'s
    sensor units; unchanged when it does not look at the ground."""
    params = camera_parameters(camera)
    if params is None:
        return camera
    lens = float(np.clip(circles.lens if circles.tied else params.lens, *LENS_BOUNDS))
    new = gauge_camera(circles.pitch, lens, distance=params.distance, azimuth=params.azimuth,
                       look_at=params.ground, resolution=camera.resolution, name=camera.name)
    return new.model_copy(update={"sensor": camera.sensor,
                                  "lens": round(lens * camera.sensor / SENSOR, 2)})
