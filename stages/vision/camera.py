"""Camera estimation from one image of objects on a ground plane (pure numpy/scipy).

An image of objects standing on the ground z = 0 fixes the camera only up to a *gauge*: a
translation and a turn of the whole scene about the vertical axis change nothing in the image,
and neither does scaling the whole scene about the camera. The convention used here (the one
CLEVR and `DEFAULT_CAMERA` follow) fixes the gauge:

* the camera looks at a point on the ground, and that point is the origin;
* the camera keeps the default azimuth: it sits in the direction of `DEFAULT_CAMERA.at` from the
  origin (seen from above), with no roll (image up leans towards world +z);
* scale: the distance from the camera to the look-at point is a **prior**, not a measurement,
  `DEFAULT_DISTANCE` = |DEFAULT_CAMERA.at| = 11.26 m (CLEVR's cameras are 11.2 +- 0.5 m away).

What remains is what an image does determine: the **pitch** (the angle, degrees, by which the
optical axis looks down below the horizontal) and the **focal length** (`lens`, mm, for a 36 mm
sensor spanning the larger image side; Blender's default sensor; CLEVR's 35 mm lens on its 32 mm
sensor is 39.4 mm here). `gauge_camera(pitch, lens)` builds that camera; `camera_parameters`
reads pitch, lens, distance, azimuth and look-at point back from any `look_at` camera;
`to_gauge` maps world points of a scene seen by some camera into the gauge frame (to compare
reconstructions with ground truth).

Evidence. The horizon, when visible, fixes tan(pitch) * f (`pitch_from_horizon`). The shapes of
the objects fix the viewing elevation at each object (a cylinder top's minor/major ratio, a box's
converging vertical edges, a sphere's radial elongation off axis), hence pitch and focal length
together. These cues are used by render-and-compare: `estimate_camera` maximises a caller's
`score(camera)` (e.g. the mean silhouette IoU of objects refitted under that camera, see
`scenelang.stages.proposers.offline.camera_fit`) over (pitch, log lens), with a weak prior
towards `PRIOR_PITCH`/`PRIOR_LENS`, and reports how flat the objective is around its optimum
(`CameraEstimate.pitch_sd`, `lens_sd`, `confidence`). The silhouettes hardly see the focal
length, so the vertical vanishing point (`vision.vanishing`: K = f cot(pitch) px below the image
centre, from the objects' straight vertical outlines) can tie it to the pitch
(`lens_from_vertical`); the search then runs along that curve (`estimate_camera(vertical=...)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from scenelang import ast as A
from scenelang.backends.camera import camera_rotation

DEFAULT_DISTANCE = float(np.linalg.norm(A.DEFAULT_CAMERA.at))
"""Prior distance (m) from the camera to its look-at point: |DEFAULT_CAMERA.at| (11.26 m)."""
DEFAULT_AZIMUTH = math.degrees(math.atan2(A.DEFAULT_CAMERA.at[1], A.DEFAULT_CAMERA.at[0]))
"""Direction (degrees about +z from +x) of the camera seen from its look-at point (-43.3)."""
SENSOR = 36.0
"""Sensor width (mm) the estimated lens refers to (Blender's default)."""
PRIOR_PITCH = 27.0
"""Prior pitch (degrees): the default camera's 26.1 and CLEVR's 27.8 are both near it."""
PRIOR_LENS = 45.0
"""Prior focal length (mm, 36 mm sensor): near the geometric middle of the plausible 25-70 mm
(41.8 mm) and of the own tiers' 35-60 mm (45.8 mm). The offline draft starts its camera search
here (`offline.draft.initial_camera`) and keeps it when the silhouettes do not decide."""
PRIOR_WEIGHT = 0.002
"""Objective units (IoU) a deviation of one octave of lens or 20 degrees of pitch costs: only
breaks ties along directions the image does not decide."""
PITCH_BOUNDS = (5.0, 80.0)
"""Pitch range (degrees) searched."""
LENS_BOUNDS = (15.0, 150.0)
"""Lens range (mm, 36 mm sensor) searched."""
FLAT_TOLERANCE = 0.003
"""Objective drop (IoU) treated as insignificant when measuring ambiguity."""
NEIGHBOURS = 9
"""Evaluations (nearest the optimum in units of 4 degrees and 0.15 octave) the ambiguity's
quadratic is fitted to."""


# ------------------------------------------------------------------------------ gauge


def gauge_camera(pitch: float, lens: float, *, distance: float = DEFAULT_DISTANCE,
                 azimuth: float = DEFAULT_AZIMUTH, look_at: tuple[float, float, float] = (0.0, 0.0, 0.0),
                 resolution: tuple[int, int] = (640, 480), sensor: float = SENSOR,
                 name: str = "camera") -> A.Camera:
    """The camera `distance` m from `look_at` (default the origin), `pitch` degrees above it,
    in the direction `azimuth` (degrees about +z), aiming at it; `lens` mm on a `sensor` mm
    sensor. Coordinates are rounded to 0.1 mm, the lens to 0.01 mm."""
    p, a = math.radians(pitch), math.radians(azimuth)
    offset = distance * np.array([math.cos(p) * math.cos(a), math.cos(p) * math.sin(a), math.sin(p)])
    at = np.asarray(look_at, float) + offset
    return A.Camera(name=name, at=tuple(round(float(v), 4) for v in at),
                    look_at=tuple(round(float(v), 4) for v in look_at), lens=round(float(lens), 2),
                    sensor=sensor, resolution=tuple(resolution))


@dataclass(frozen=True)
class CameraParameters:
    """A camera in the terms of the gauge: pitch (deg, looking down > 0), lens (mm on a
    `SENSOR` mm sensor), distance (m) from the camera to `ground` (where the optical axis meets
    z = 0), azimuth (deg) of the camera seen from `ground`."""

    pitch: float
    lens: float
    distance: float
    azimuth: float
    ground: tuple[float, float, float]


def camera_parameters(camera: A.Camera) -> CameraParameters | None:
    """`camera` in gauge terms, or None when its optical axis does not meet the ground ahead."""
    forward = -camera_rotation(camera)[:, 2]
    at = np.asarray(camera.at, float)
    if forward[2] > -1e-6 or at[2] <= 0:
        return None
    t = -at[2] / forward[2]
    ground = at + t * forward
    pitch = math.degrees(math.asin(float(np.clip(-forward[2], -1.0, 1.0))))
    azimuth = math.degrees(math.atan2(-forward[1], -forward[0]))
    lens = camera.focal_length() * SENSOR / camera.sensor
    return CameraParameters(pitch, lens, float(t), azimuth, tuple(float(v) for v in ground))


def to_gauge(points: np.ndarray, camera: A.Camera, distance: float = DEFAULT_DISTANCE) -> np.ndarray:
    """World points `(N, 3)` of a scene seen through `camera`, in the gauge frame: the ground
    point the camera looks at moved to the origin, turned about z so that the camera is at
    `DEFAULT_AZIMUTH`, scaled about the origin so that the camera is `distance` m away."""
    params = camera_parameters(camera)
    if params is None:
        raise ValueError("the camera does not look at the ground")
    pts = np.asarray(points, float) - np.asarray(params.ground)
    turn = math.radians(DEFAULT_AZIMUTH - params.azimuth)
    c, s = math.cos(turn), math.sin(turn)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return (pts @ rot.T) * (distance / params.distance)


def focal_pixels(lens: float, size: tuple[int, int], sensor: float = SENSOR) -> float:
    """Focal length in pixels for `lens` mm on a `sensor` mm sensor spanning max(W, H)."""
    return lens / sensor * max(size)


def pitch_from_horizon(row: float, lens: float, size: tuple[int, int], sensor: float = SENSOR) -> float:
    """Pitch (degrees) that puts the horizon on image row `row` (v, pixels from the top) for a
    camera without roll: tan(pitch) = (H/2 - row) / f."""
    return math.degrees(math.atan2(size[1] / 2 - row, focal_pixels(lens, size, sensor)))


def lens_from_vertical(k: float, pitch: float, size: tuple[int, int], sensor: float = SENSOR) -> float:
    """Lens (mm on a `sensor` mm sensor) that puts the vertical vanishing point `k` px below the
    image centre for a camera looking down by `pitch` degrees: f = k * tan(pitch)."""
    return k * math.tan(math.radians(pitch)) * sensor / max(size)


def vertical_pitch_bounds(k: float, size: tuple[int, int]) -> tuple[float, float]:
    """The part of `PITCH_BOUNDS` (degrees) where `lens_from_vertical(k, .)` stays within
    `LENS_BOUNDS`."""
    f0, f1 = (focal_pixels(v, size) for v in LENS_BOUNDS)
    lo = max(PITCH_BOUNDS[0], math.degrees(math.atan2(f0, k)))
    hi = min(PITCH_BOUNDS[1], math.degrees(math.atan2(f1, k)))
    return lo, max(hi, lo)


# ------------------------------------------------------------------------------ estimation


@dataclass
class CameraEstimate:
    """The result of `estimate_camera`.

    `pitch` (deg), `lens` (mm, `SENSOR` mm sensor), `distance` (m, the prior), `camera` (the
    gauge camera), `objective` (the caller's score at the optimum, without the prior),
    `pitch_sd` (deg) and `lens_sd` (relative) the half-widths of the region where the score
    stays within `FLAT_TOLERANCE` of the optimum (from a quadratic fit to the evaluated points;
    inf when the objective is flat in that direction), `confidence` in [0, 1] (1: pitch known
    within a degree and lens within 5 %), `evaluations` every (pitch, lens, score) tried."""

    camera: A.Camera
    pitch: float
    lens: float
    distance: float
    objective: float
    pitch_sd: float = math.inf
    lens_sd: float = math.inf
    confidence: float = 0.0
    horizon: float | None = None
    evaluations: list[tuple[float, float, float]] = field(default_factory=list)
    start_score: float | None = None
    """The score of the start camera (set by callers that know it)."""

    def gain(self) -> float:
        """How much the estimate beats the start camera (objective units; 0 when unknown)."""
        return 0.0 if self.start_score is None else self.objective - self.start_score


def prior_penalty(pitch: float, lens: float) -> float:
    """The weak prior (objective units) towards `PRIOR_PITCH` and `PRIOR_LENS`."""
    return PRIOR_WEIGHT * (math.log2(lens / PRIOR_LENS) ** 2 + ((pitch - PRIOR_PITCH) / 20.0) ** 2)


def estimate_camera(score: Callable[[A.Camera], float], resolution: tuple[int, int], *,
                    start: tuple[float, float] = (PRIOR_PITCH, PRIOR_LENS),
                    horizon_row: float | None = None, steps: tuple[float, float] = (8.0, 0.5),
                    max_evals: int = 40, distance: float = DEFAULT_DISTANCE,
                    stencil: tuple[float, float] | None = (2.0, 0.1),
                    deadline: Callable[[], bool] = lambda: False,
                    make_camera: Callable[[float, float], A.Camera] | None = None,
                    vertical: tuple[float, float] | None = None,
                    fixed_lens: float | None = None) -> CameraEstimate:
    """Maximise `score(camera) - prior_penalty` over gauge cameras (see the module docstring).

    `start` (pitch deg, lens mm) and `steps` (pitch deg, log2 lens) set Nelder-Mead's first
    simplex; with `horizon_row` (v px) the pitch follows the lens through `pitch_from_horizon`
    and the search is one-dimensional (bounded Brent on log2 lens). Without a horizon but with
    `vertical` = (K px at `resolution`, its relative sd), the vertical vanishing point
    (`vision.vanishing`), the lens follows the pitch through `lens_from_vertical` and the search
    is one-dimensional in the pitch (`_grid_search`: a scan, robust to the refits' noise,
    then parabolic steps); `lens_sd` then combines K's sd with the pitch's. At most `max_evals` scores
    are computed; `deadline()` stops the search early (the best camera so far is returned).
    `stencil` (pitch deg, log2 lens): four more scores at these offsets from the optimum measure
    the curvature for the ambiguity (None: a quadratic fitted to the search's own points).
    `make_camera(pitch, lens)` builds the candidates (default: `gauge_camera` at `distance`
    with `resolution`). `fixed_lens` (mm; not with `horizon_row` or `vertical`): the lens is
    held there and only the pitch is searched (`_grid_search` over `SCAN_PITCH`, as along the
    vanishing point's curve); `lens_sd` is then inf (not measured)."""
    build = make_camera or (lambda p, f: gauge_camera(p, f, distance=distance, resolution=resolution))
    evaluations: list[tuple[float, float, float]] = []
    cache: dict[tuple[float, float], float] = {}

    def value(pitch: float, lens: float) -> float:
        pitch = float(np.clip(pitch, *PITCH_BOUNDS))
        lens = float(np.clip(lens, *LENS_BOUNDS))
        key = (round(pitch, 3), round(lens, 3))
        if key not in cache:
            if deadline() and cache or len(cache) >= max_evals:
                return -1.0 - prior_penalty(pitch, lens)
            s = float(score(build(*key)))
            cache[key] = s
            evaluations.append((key[0], key[1], s))
        return cache[key] - prior_penalty(*key)

    if horizon_row is not None:
        def along(log_lens: float) -> float:
            lens = 2.0 ** log_lens
            return -value(pitch_from_horizon(horizon_row, lens, resolution), lens)
        lo, hi = math.log2(LENS_BOUNDS[0]), math.log2(LENS_BOUNDS[1])
        minimize_scalar(along, bounds=(lo, hi), method="bounded",
                        options={"xatol": 0.02, "maxiter": max_evals})
    elif fixed_lens is not None:
        _grid_search(lambda p: value(p, fixed_lens), SCAN_PITCH[0], SCAN_PITCH[1], max_evals,
                     start=start[0])
    elif vertical is not None:
        lo, hi = vertical_pitch_bounds(vertical[0], resolution)
        lo, hi = max(lo, SCAN_PITCH[0]), min(hi, SCAN_PITCH[1])
        _grid_search(lambda p: value(p, lens_from_vertical(vertical[0], p, resolution)),
                     min(lo, hi), hi, max_evals, start=start[0])
    else:
        x0 = np.array([start[0], math.log2(start[1])])
        simplex = np.array([x0, x0 + [steps[0], 0.0], x0 + [0.0, steps[1]]])
        minimize(lambda x: -value(x[0], 2.0 ** x[1]), x0, method="Nelder-Mead",
                 options={"initial_simplex": simplex, "maxfev": max_evals,
                          "xatol": 0.2, "fatol": 2e-4})
    if not evaluations:
        raise ValueError("no camera could be scored")
    pitch, lens, best = max(evaluations, key=lambda e: e[2] - prior_penalty(e[0], e[1]))
    if stencil is not None and not deadline():
        # the curvature along each axis from a small stencil around the optimum (with a
        # horizon, along the lens only: the pitch follows it)
        dp, dl = stencil
        if fixed_lens is not None and horizon_row is None:
            points = [(pitch - dp, lens), (pitch + dp, lens)]
            max_evals = len(cache) + len(points)
            sides = [value(p, f) + prior_penalty(p, f) for p, f in points]
            pitch_sd, lens_sd = dp * _half_width(sides, best, 1.0), math.inf
        elif vertical is not None and horizon_row is None:
            # along the vanishing point's curve: the pitch's curvature; the lens's sd from K's
            # and the pitch's (d ln f = d pitch / (sin p cos p))
            points = [(p, lens_from_vertical(vertical[0], p, resolution))
                      for p in (pitch - dp, pitch + dp)]
            max_evals = len(cache) + len(points)
            sides = [value(p, f) + prior_penalty(p, f) for p, f in points]
            pitch_sd = dp * _half_width(sides, best, 1.0)
            spread = math.radians(min(pitch_sd, 30.0)) / max(math.sin(math.radians(2 * pitch)) / 2,
                                                             1e-3)
            lens_sd = math.hypot(vertical[1], spread) if math.isfinite(pitch_sd) else math.inf
        else:
            if horizon_row is None:
                points = [(pitch - dp, lens), (pitch + dp, lens)]
            else:
                points = [(pitch_from_horizon(horizon_row, lens * 2.0 ** k, resolution),
                           lens * 2.0 ** k) for k in (-dl, dl)]
            points += [(pitch, lens * 2.0 ** -dl), (pitch, lens * 2.0 ** dl)]
            max_evals = len(cache) + len(points)
            sides = [value(p, f) + prior_penalty(p, f) for p, f in points]
            lens_sd = 2.0 ** (dl * _half_width(sides[-2:], best, 1.0)) - 1.0
            if horizon_row is None:
                pitch_sd = dp * _half_width(sides[:2], best, 1.0)
            else:
                slope = abs(points[1][0] - points[0][0]) / (2 * dl)  # degrees per octave
                pitch_sd = slope * math.log2(1.0 + lens_sd) if math.isfinite(lens_sd) else math.inf
        pitch, lens, best = max(evaluations, key=lambda e: e[2] - prior_penalty(e[0], e[1]))
    else:
        pitch_sd, lens_sd = _flatness(evaluations, (pitch, lens))
    confidence = float(math.exp(-(min(pitch_sd, 30.0) / 2.0) ** 2 / 2
                                - (min(lens_sd, 1.0) / 0.1) ** 2 / 2))
    return CameraEstimate(camera=build(pitch, lens), pitch=pitch, lens=lens, distance=distance,
                          objective=best, pitch_sd=pitch_sd, lens_sd=lens_sd,
                          confidence=confidence, horizon=horizon_row, evaluations=evaluations)


SCAN_PITCH = (10.0, 65.0)
"""Pitch range (degrees) scanned along the vertical vanishing point's curve: the plausible
15-60 degrees with a margin."""
GRID_REFINES = 3
"""Parabolic steps after the scan of `_grid_search`."""


def _grid_search(value: Callable[[float], float], lo: float, hi: float, max_evals: int,
                 start: float | None = None) -> float:
    """Maximise a noisy `value(x)` on [lo, hi] with `max_evals` calls: an even scan of
    `max_evals - GRID_REFINES` points (nearest `start` first, so that warm-started callers
    move outwards from it), then `GRID_REFINES` steps to the vertex of the parabola through the
    best point and its two nearest scanned or refined neighbours. Returns the best x."""
    n = max(max_evals - GRID_REFINES, 3)
    xs = np.unique(np.linspace(lo, hi, n))
    if start is not None:
        xs = xs[np.argsort(np.abs(xs - start), kind="stable")]
    seen = {float(x): value(float(x)) for x in xs}
    for _ in range(GRID_REFINES):
        xs = sorted(seen)
        if len(xs) < 3:
            break
        i = max(range(len(xs)), key=lambda k: seen[xs[k]])
        i = min(max(i, 1), len(xs) - 2)
        (x0, x1, x2), (y0, y1, y2) = xs[i - 1:i + 2], (seen[x] for x in xs[i - 1:i + 2])
        den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
        if abs(den) < 1e-15:
            break
        x = x1 - 0.5 * ((x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)) / den
        x = float(np.clip(x, x0, x2))
        if any(abs(x - k) < 1e-3 for k in seen):
            break
        seen[x] = value(x)
    return max(seen, key=seen.get)


def _half_width(sides: list[float | None], centre: float, step: float) -> float:
    """Half-width (units of `step`) where a parabola through the two side values and the
    centre drops by `FLAT_TOLERANCE`; inf when it does not curve down."""
    if any(v is None or v < 0 for v in sides):  # not scored (budget or deadline)
        return math.inf
    curvature = (sides[0] + sides[1] - 2 * centre) / step ** 2
    if curvature >= -1e-12:
        return math.inf
    return math.sqrt(2 * FLAT_TOLERANCE / -curvature)


def _flatness(evaluations: list[tuple[float, float, float]], best: tuple[float, float]
              ) -> tuple[float, float]:
    """Half-widths (pitch deg, relative lens) of the region where a quadratic fitted to the
    `NEIGHBOURS` evaluations nearest `best` stays within `FLAT_TOLERANCE` of its peak; inf where it is flat or
    the points do not determine it."""
    pts = np.array([(p - best[0], math.log2(f / best[1]), s) for p, f, s in evaluations])
    dist = (pts[:, 0] / 4.0) ** 2 + (pts[:, 1] / 0.15) ** 2
    near = pts[np.argsort(dist, kind="stable")[:NEIGHBOURS]]
    if len(near) < 6:
        return math.inf, math.inf
    x, y, z = near[:, 0], near[:, 1], near[:, 2]
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
    coef, *_ = np.linalg.lstsq(design, z, rcond=None)
    hess = -np.array([[2 * coef[3], coef[4]], [coef[4], 2 * coef[5]]])  # of the negated score
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return math.inf, math.inf
    if np.any(np.linalg.eigvalsh(hess) <= 1e-9):
        return math.inf, math.inf
    half = np.sqrt(2 * FLAT_TOLERANCE * np.diag(cov))
    return float(half[0]), float(2.0 ** half[1] - 1.0)
