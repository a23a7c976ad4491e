"""The offline proposer's first draft of a whole scene from one image, and scene <-> model glue.

Draft (`draft_model`):

1. segment the target into background, ground (with shadows) and object regions
   (`vision_segment.segment_objects`); an object's dark base and the soft contact shadow joined
   to it (`dark_base`, `contact_shadow`) become "don't care" pixels for the fits;
2. camera: from the camera given (the proposer passes `initial_camera`, the gauge prior's
   camera, 27 degrees and 45 mm, instead of the engine's placeholder; when a straight
   horizontal sky/ground boundary is visible it is first turned about its look-at point so the
   horizon falls on that row), the objects are fitted (step 3), then the pitch and focal length
   (tied together by the vertical vanishing point of the boxes' and cylinders' outlines,
   `vision.vanishing`, when it is measured and no horizon is visible)
   are estimated by render-and-compare of their silhouettes (`draft_camera`,
   `offline_camera_fit.estimate_scene_camera`, `vision_camera`: the objects refitted under each
   candidate camera, the horizon constraining the pitch when visible; with neither a horizon
   nor a vanishing point only the pitch is searched, the lens held at the prior's) in the
   start camera's gauge (`camera_fit.search_gauge`: the point it looks at, its azimuth and
   distance are kept; from the prior's camera that is the origin, the default azimuth and the
   default camera's distance, scale being only a prior), and the fits are carried over to the
   estimated camera;
3. each region: the primitive kinds `vision_shape.classify_silhouette` ranks highest are each
   fitted (`offline_fit.fit_single`: back-projected ground contact, size from the extent at
   that depth, then Nelder-Mead on silhouette IoU) and the best fit wins (`kind_value`; after
   the camera (step 2), near-ties broken by the shading, `shaded_kinds`); then a joint pass
   that accounts for occlusions;
4. lighting (`offline_light.estimate_lighting`): the sun direction from the cast shadows, a
   nearby point light from the bright patch on the ground, the sun's strength and the world
   colour from the shadow ratio and the sky, the scale from the sky or an assumed ground albedo;
5. materials (`vision.material`): metal or matte from each region's mirror structure, the base
   colour from its brightness relative to the lit ground beside it;
6. remove and add hypotheses, checked by render-and-compare: an object that is a piece of
   another's cast shadow is dropped (`offline.prune`), a crisp, unevenly dark shadow piece that
   nothing casts is fitted as an object (`offline.recover`).

`Model` is the editable form the refinement works on; `scene_model.build_scene` turns it into scene
language with fixed names: shapes/objects/materials `ground` and `shape_N`/`object_N`/
`material_N` (N from 1), the camera `camera`, the lights `sun` and `lamp_N`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage

from scenelang import ast as A
from scenelang.stages.proposers.offline.box_horizon import box_camera, refit_under
from scenelang.stages.proposers.offline.camera_fit import (
    MIN_SHAPE_EVIDENCE,
    camera_from_circles,
    camera_with_lens,
    carried,
    circle_evidence,
    estimate_scene_camera,
    evidence,
    start_camera,
    trusted,
    vertical_evidence,
)
from scenelang.stages.proposers.offline.fit import (
    Guess,
    refine_joint,
    visible_masks,
)
from scenelang.stages.proposers.offline.light import (
    Lighting,
    estimate_lighting,
)
from scenelang.stages.proposers.offline.memo import FitMemo
from scenelang.stages.proposers.offline.prune import drop_shadow_objects
from scenelang.stages.proposers.offline.recover import add_shadowed_objects
from scenelang.stages.proposers.offline.shading import with_shading
from scenelang.stages.proposers.offline.split import SCREEN_EVALS, split_regions
from scenelang.stages.vision.camera import (
    PRIOR_LENS,
    PRIOR_PITCH,
    SENSOR,
    camera_parameters,
    gauge_camera,
    pitch_from_horizon,
)
from scenelang.stages.vision.edges import crisp_edges, crisp_pieces, implausible
from scenelang.stages.vision.material import (
    DEFAULT_GROUND_ALBEDO,
    classify_material,
    estimate_colour,
    ground_near,
)
from scenelang.stages.vision.segment import (
    Segmentation,
    SegmentationParams,
    segment_objects,
    split_by_color,
    srgb_to_linear,
)
from scenelang.stages.vision.shape import classify_silhouette, largest_component

GROUND_SIZE = 1000.0
"""Side (m) of the ground plane the drafts use: large enough to reach the horizon."""
ALWAYS_TRIED = ("box", "sphere", "cylinder", "cone")
"""Primitive kinds fitted to every silhouette (the classifier's ranking only breaks near-ties)."""
MIN_KIND_CONFIDENCE = 0.08
"""A torus is fitted too when the classifier gives it at least this confidence."""


@dataclass
class Analysis:
    """What the proposer measures once per target: the segmentation, its object regions (bool
    masks, nearest first), the target in linear RGB, and the size (W, H). `memo` remembers the
    primitive fits made for it (`offline.memo`: the split hypotheses' fits of the regions are
    the draft's own)."""

    target: np.ndarray
    linear: np.ndarray
    seg: Segmentation
    regions: list[np.ndarray]
    size: tuple[int, int]
    uncertain: np.ndarray | None = None
    memo: FitMemo = field(default_factory=FitMemo)

    @property
    def objects_mask(self) -> np.ndarray:
        out = np.zeros(self.seg.shape, bool)
        for r in self.regions:
            out |= r
        return out

    @property
    def care(self) -> np.ndarray:
        """Pixels fits take into account (all but `uncertain`)."""
        if self.uncertain is None:
            return np.ones(self.seg.shape, bool)
        return ~self.uncertain


def analyse(target: np.ndarray) -> Analysis:
    """Segment `target` (float sRGB H x W x 3). Dark pixels at the base of an object region,
    which may be its shaded side or the shadow it casts right under it (`dark_base`), are taken
    out of the region and marked `uncertain`: fits ignore them, the sun estimate counts them
    as shadow. A region no single object makes (`vision.edges.implausible`: over a fifth of
    the image, wider than 60% of it, or touching two borders) is replaced by its parts with
    crisp outlines (`crisp_pieces`); other regions touching the border go through
    `split_lit_ground`. A region two touching objects make is cut in two when two fitted
    primitives explain it clearly better than one (`offline.split.split_regions`, checked
    through the prior camera, turned to the horizon when one is visible; its fits of the
    regions, kept in `Analysis.memo`, are the draft's own in `fit_regions`)."""
    seg = segment_objects(target)
    h, w = target.shape[:2]
    linear = srgb_to_linear(target)
    regions, uncertain = [], np.zeros((h, w), bool)
    masks = []
    crisp = None
    for r in seg.objects:
        if implausible(r.mask):
            # a slab-sized region: keep only its parts with crisp (object) outlines
            crisp = crisp_edges(seg.image, seg.noise) if crisp is None else crisp
            masks.extend(crisp_pieces(r.mask, crisp, min_px=MIN_PART_PX))
        elif _touches_border(r.mask):
            masks.extend(split_lit_ground(r.mask, seg, linear))
        else:
            masks.append(r.mask)
    for mask in masks:
        dark = dark_base(mask, seg, linear) | contact_shadow(mask, seg, linear)
        rest = largest_component(mask & ~dark)
        if rest.sum() >= 12:
            regions.append(rest)
            uncertain |= mask & ~rest
    # regions two touching objects make: split when two fits explain them clearly better
    prior = camera_from_horizon(gauge_camera(PRIOR_PITCH, PRIOR_LENS, resolution=(w, h)),
                                horizon_row(seg), (w, h))
    memo = FitMemo()
    regions, _ = split_regions(regions, ~uncertain, linear, prior, (w, h), shadow=seg.shadow,
                               memo=memo)
    if uncertain.any():
        seg = replace(seg, shadow=seg.shadow | uncertain)
    return Analysis(target=np.asarray(target, np.float32), linear=linear, seg=seg,
                    regions=regions, size=(w, h), uncertain=uncertain, memo=memo)


def _touches_border(mask: np.ndarray) -> bool:
    return bool(mask[:, 0].any() or mask[:, -1].any() or mask[-1].any())


def split_lit_ground(mask: np.ndarray, seg: Segmentation, linear: np.ndarray) -> list[np.ndarray]:
    """A region running into the image border is often ground lit by a nearby light (which the
    row-wise ground model cannot follow) with objects inside it: drop the pixels whose
    chromaticity is the ground's (within 0.02) and return the remaining parts of at least
    `MIN_PART_PX` pixels."""
    ground = _chroma(srgb_to_linear(seg.ground_model))
    near = np.linalg.norm(_chroma(linear) - ground, axis=2) < 0.02
    rest = ndimage.binary_opening(mask & ~near, structure=np.ones((3, 3), bool))
    labels, count = ndimage.label(rest, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    parts = [labels == i for i in range(1, count + 1) if sizes[i] >= MIN_PART_PX]
    # the segmentation's own split of a part made of two colours (touching objects)
    out: list[np.ndarray] = []
    for part in parts:
        out.extend(split_by_color(linear, part, SegmentationParams(), MIN_PART_PX))
    return out


MIN_PART_PX = 30
"""Smallest object part (px) `split_lit_ground` keeps."""


def _chroma(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(x.sum(axis=-1, keepdims=True), 1e-4)


def dark_base(mask: np.ndarray, seg: Segmentation, linear: np.ndarray) -> np.ndarray:
    """Pixels of `mask` in its lower half that are darker than a third of the ground and of the
    region's lit pixels (empty when that would be more than 40% of the region)."""
    if mask.sum() < 30:
        return np.zeros_like(mask)
    ground = srgb_to_linear(seg.ground_model).mean(axis=2)
    lum = linear.mean(axis=2)
    lit = float(np.percentile(lum[mask], 75))
    rows = np.nonzero(mask)[0]
    lower = np.arange(mask.shape[0])[:, None] >= (rows.min() + rows.max()) / 2
    dark = mask & lower & (lum < 0.33 * ground) & (lum < 0.33 * lit)
    if dark.sum() > 0.4 * mask.sum():
        return np.zeros_like(mask)
    return dark


CONTACT_BAND = 0.35
"""`contact_shadow` looks at the lowest this share of a region's rows."""


def contact_shadow(mask: np.ndarray, seg: Segmentation, linear: np.ndarray) -> np.ndarray:
    """The darkened ground under an object that the segmentation joined to it (the soft contact
    shadow right below an object, often tinted by light bounced off the object): pixels of
    `mask` in its lowest `CONTACT_BAND` of rows, darker than the ground model there (linear
    ratio below 0.85) and whose chromaticity lies nearer the ground's than the object's own
    (the median of the region's upper, lit part), connected to the region's outline. Empty
    when the object's colour is too close to the ground's to tell them apart (a grey object) or
    when the result would be more than a third of the region. Such pixels are made "don't care"
    for the fits (`analyse`), not claimed for the ground, so a metal object's dim lower rim
    lost to this rule costs little."""
    none = np.zeros_like(mask)
    if mask.sum() < 30:
        return none
    rows = np.nonzero(mask)[0]
    top, bottom = int(rows.min()), int(rows.max())
    band = np.arange(mask.shape[0])[:, None] >= bottom - CONTACT_BAND * (bottom - top + 1)
    upper = mask & (np.arange(mask.shape[0])[:, None] < (top + bottom) / 2)
    if upper.sum() < 10:
        return none
    ground = np.maximum(srgb_to_linear(seg.ground_model), 1e-4)
    chroma, ground_chroma = _chroma(linear), _chroma(ground)
    lum = linear.mean(axis=2)
    lit = upper & (lum >= np.percentile(lum[upper], 50))
    own = np.median(chroma[lit], axis=0)
    ground_here = np.median(ground_chroma[mask], axis=0)
    axis = own - ground_here
    span = float(np.linalg.norm(axis))
    if span < 0.04:  # a grey object on a grey ground: the colours cannot tell
        return none
    t = ((chroma - ground_here) @ axis) / span ** 2
    darker = (linear / ground).mean(axis=2) < 0.85
    candidate = mask & band & darker & (t < 0.5)
    # only what reaches the outline: dim grey pixels inside (a metal object's reflections) stay
    labels, count = ndimage.label(candidate, structure=np.ones((3, 3), bool))
    if not count:
        return none
    edge = mask & ~ndimage.binary_erosion(mask, structure=np.ones((3, 3), bool))
    keep = np.unique(labels[edge & candidate])
    out = np.isin(labels, keep[keep > 0])
    if out.sum() > mask.sum() / 3:
        return none
    return out


@dataclass
class Model:
    """The editable scene the offline proposer optimises.

    `guesses[i]` explains `analysis.regions[region_of[i]]` (or nothing when None) and is written
    as the statements named `names[i]` = (object, shape, material); `ground` is the ground's
    linear albedo."""

    camera: A.Camera
    guesses: list[Guess]
    lighting: Lighting
    ground: tuple[float, float, float] = (0.5, 0.5, 0.5)
    region_of: list[int | None] = field(default_factory=list)
    names: list[tuple[str, str, str]] = field(default_factory=list)

    def fresh_names(self) -> tuple[str, str, str]:
        """Unused (object, shape, material) names for a new object."""
        used = {n for triple in self.names for n in triple}
        k = len(self.names) + 1
        while {f"object_{k}", f"shape_{k}", f"material_{k}"} & used:
            k += 1
        return (f"object_{k}", f"shape_{k}", f"material_{k}")


# ------------------------------------------------------------------------------ camera


def horizon_row(seg: Segmentation) -> float | None:
    """The image row (pixel-centre units) of a straight horizontal sky/ground boundary, or None."""
    bg = seg.background
    h, w = bg.shape
    if not bg.any():
        return None
    cols = np.nonzero(bg.any(axis=0))[0]
    if len(cols) < 0.8 * w:
        return None
    lowest = h - 1 - np.argmax(bg[::-1, cols], axis=0)
    rows = lowest.astype(float)
    if np.std(rows) > 1.5 or rows.mean() >= h - 2:
        return None
    return float(np.median(rows) + 1.0)


def camera_from_horizon(camera: A.Camera, row: float | None, size: tuple[int, int]) -> A.Camera:
    """`camera` turned about its look-at point on the ground (distance, azimuth and lens kept)
    to the pitch that puts the horizon on image row `row` (the boundary's v coordinate);
    unchanged when `row` is None, implies looking up, or the camera does not look at the
    ground."""
    params = camera_parameters(camera)
    if row is None or params is None:
        return camera
    pitch = pitch_from_horizon(row, params.lens, size)
    if pitch < 2.0:
        return camera
    new = gauge_camera(pitch, params.lens, distance=params.distance, azimuth=params.azimuth,
                       look_at=params.ground, resolution=camera.resolution, name=camera.name)
    return new.model_copy(update={"sensor": camera.sensor,
                                  "lens": round(params.lens * camera.sensor / SENSOR, 2)})


CAMERA_EVALS = 30
"""Cameras the draft's camera search scores (plus four for the ambiguity stencil): a fixed
budget, so that the estimate does not depend on the machine's speed or load."""


def draft_camera(analysis: Analysis, camera: A.Camera, guesses: list[Guess], index: list[int],
                 *, deadline: Callable[[], bool] = lambda: False
                 ) -> tuple[A.Camera, list[Guess], int]:
    """The camera estimated from the objects' silhouettes (and the horizon when visible), in
    the gauge of `vision.camera` (look-at point = origin, default azimuth, the default camera's
    distance as the scale prior), and `guesses` (fitted through `camera` to the regions
    `index`) refitted under it. Unchanged when there is no usable evidence or the estimate is
    not `trusted` (too few cameras scored, or too small a gain over `camera`).

    Deterministic: exactly `CAMERA_EVALS` cameras (+ the stencil's four) are scored, each with
    a fixed number of refit evaluations. `deadline` is only a safety net (the proposer's
    per-call cap, see `offline.proposer`): when it fires the search stops with the cameras
    scored so far, and an estimate from fewer than `MIN_SCORED` cameras is not trusted.
    Without a horizon, the vertical vanishing point (`offline_camera_fit.vertical_evidence`),
    when measured,
    ties the lens to the pitch (f = K tan(pitch)): the search runs along that curve, and when
    its estimate is not trusted (and the safety net has not fired) the camera keeps its pitch
    and takes the lens the curve gives there (the objects carried over by `camera_fit.carried`).
    Without a horizon, a confident camera from the boxes' edges (`offline.box_horizon`) is
    taken as it is (the objects fitted again under it).
    Horizontal circles (`camera_fit.circle_evidence`), when measured confidently, start the
    search at their pitch and penalise cameras they disagree with; an untrusted search then
    gives their camera (`camera_fit.camera_from_circles`) instead of the start.
    Without a horizon and without a vanishing point the search is for the pitch only, the lens
    held at `camera`'s (the prior's 45 mm in the draft: the silhouettes alone estimated the lens
    worse than that prior, by 10 mm against 6 mm on the own tiers), and its estimate is trusted
    without the `camera_fit.MIN_GAIN` test (`trusted(gain=False)`: a pitch-only scan near its
    start gains little; the scan, not the start, is the measurement).
    Spheres are not evidence for the search (`camera_fit.PITCH_BLIND`), and from fewer than
    `camera_fit.MIN_SHAPE_EVIDENCE` other objects no search is run (one object's proportions
    absorb a change of pitch): the circles' or the vanishing point's camera, else `camera`.
    Returns (camera, guesses, silhouettes computed)."""
    if not guesses:
        return camera, guesses, 0
    everything = analysis.objects_mask
    masks = [analysis.regions[i] for i in index]
    cares = [~(everything & ~m) & analysis.care for m in masks]
    row = horizon_row(analysis.seg)
    boxes = (None if row is not None else
             box_camera(analysis.linear, analysis.regions, guesses, index, camera, analysis.size,
                        cares=cares))
    if boxes is not None:
        return boxes, *refit_under(guesses, masks, cares, camera, boxes, analysis.size,
                                   deadline=deadline)
    vertical = (vertical_evidence(analysis.regions, analysis.linear, guesses, index)
                if row is None else None)
    circles = circle_evidence(analysis.regions, analysis.linear, guesses, index, analysis.size,
                              vertical=vertical, horizon_row=row)
    shapes = evidence(guesses, masks, cares, camera, analysis.size, skip_blind=True)
    # without a horizon or a vanishing point the silhouettes hardly see the lens: pitch only
    fixed = camera_parameters(camera) if row is None and vertical is None else None
    found = None
    if len(shapes) >= MIN_SHAPE_EVIDENCE:
        found = estimate_scene_camera(
            guesses, masks, cares, camera, analysis.size, horizon_row=row,
            max_evals=CAMERA_EVALS, stencil=(2.0, 0.1), deadline=deadline, vertical=vertical,
            circles=circles, skip_blind=True, use=shapes,
            fixed_lens=fixed.lens if fixed is not None else None)
    evals = 0 if found is None else found[2]
    if found is None or not trusted(found[0], gain=fixed is None):
        if (vertical is None and circles is None) or deadline():
            return camera, guesses, evals
        start = (camera_from_circles(camera, circles, analysis.size) if circles is not None
                 else camera_with_lens(camera, vertical[0], analysis.size))
        return start, [carried(g, camera, start, analysis.size) for g in guesses], evals
    return found[0].camera, found[1], evals


def initial_camera(camera: A.Camera) -> A.Camera:
    """The camera a draft starts from when the scene's camera is only the engine's placeholder
    (`engine.loop.starting_scene`: `DEFAULT_CAMERA` with the target's resolution): the camera
    of `vision.camera`'s prior (`PRIOR_PITCH`, `PRIOR_LENS`, in the gauge: looking at the
    origin from the default azimuth and distance), with `camera`'s resolution and sensor. When
    the silhouettes do not decide the camera (`draft_camera` keeps its start), the prior's
    camera is the answer rather than the placeholder's."""
    return start_camera(camera, PRIOR_PITCH, PRIOR_LENS, tuple(camera.resolution))


# ------------------------------------------------------------------------------ draft


def fit_regions(analysis: Analysis, camera: A.Camera, *, max_evals: int = SCREEN_EVALS,
                deadline: Callable[[], bool] = lambda: False,
                only: list[int] | None = None, preferred: list[Guess] | None = None
                ) -> tuple[list[Guess], list[int], int]:
    """One fitted guess per object region (best kind by `kind_value`), for the regions `only`
    (default all). When a list `preferred` is given, the fit the shading prefers for each
    returned region (near-ties of `kind_value` broken by how well each fit's normals explain
    the region's shading, `shading.with_shading`) is appended to it. Returns (guesses, region
    indices, silhouettes computed). Fits already made (`analysis.memo`) are not made again."""
    size = analysis.size
    everything = analysis.objects_mask
    guesses, index, evals = [], [], 0
    for i, mask in enumerate(analysis.regions):
        if only is not None and i not in only:
            continue
        care = ~(everything & ~mask) & analysis.care
        ranking = classify_silhouette(mask)
        # fits are cheap: every solid kind is tried, the torus only when the classifier sees one
        kinds = list(ALWAYS_TRIED) + [k for k, conf in ranking
                                      if k == "torus" and conf >= MIN_KIND_CONFIDENCE]
        fits: list[tuple[float, Guess]] = []
        confidence = dict(ranking)
        for kind in kinds:
            if deadline() and fits:
                break
            fitted = analysis.memo.fit(kind, mask, care, camera, size,
                                       max_evals=max_evals if not deadline() else 20)
            evals += max_evals
            if fitted is not None:
                g, iou = fitted
                fits.append((kind_value(iou, confidence.get(kind, 0.0), len(g.dims)), g))
        best = max(fits, key=lambda f: f[0]) if fits else None  # the first of equals
        if best is not None and plausible(best[1], best[0]):
            guesses.append(best[1])
            index.append(i)
            if preferred is not None:  # the silhouette's value plus the shading's evidence
                shaded = with_shading([v for v, _ in fits], [g for _, g in fits], mask,
                                      analysis.linear, camera, size)
                preferred.append(fits[int(np.argmax(shaded))][1])
    return guesses, index, evals


def shaded_kinds(analysis: Analysis, camera: A.Camera, guesses: list[Guess], index: list[int],
                 preferred: list[Guess]) -> list[Guess]:
    """`guesses` (fitted through `camera`) with each one whose region's shading preferred another
    kind (`fit_regions`' `preferred`) replaced by that kind fitted through `camera`. The camera
    is estimated from the silhouettes' kinds first (`draft_camera`): a kind changed by the
    shading must not move the camera (a box's outline is vertical-vanishing evidence, a
    sphere's is not)."""
    everything, out = analysis.objects_mask, list(guesses)
    for k, (g, p, i) in enumerate(zip(guesses, preferred, index)):
        if p.kind != g.kind:
            mask = analysis.regions[i]
            care = ~(everything & ~mask) & analysis.care
            fitted = analysis.memo.fit(p.kind, mask, care, camera, analysis.size)
            out[k] = fitted[0] if fitted is not None else g
    return out


def kind_value(iou: float, confidence: float, size_parameters: int) -> float:
    """How well a fitted kind explains a region: its silhouette IoU, plus 0.03 x the shape
    classifier's confidence in the kind (it breaks near-ties), minus 0.01 per size parameter
    (an extra parameter must earn its keep). A box's turn about z is not charged: CLEVR's small
    rounded cubes lost to spheres and cylinders by less than that (docs/reconstruction.md)."""
    return iou + 0.03 * confidence - 0.01 * size_parameters


MIN_HEIGHT = 0.08
"""Fits flatter than this (m) are taken for shadow or ground fragments, not objects."""
MIN_FIT_IOU = 0.45
"""Fits whose silhouette IoU stays below this explain no object and are dropped."""


def plausible(g: Guess, iou: float) -> bool:
    """False for fits that are more likely a fragment of shadow or ground than an object."""
    return g.height() >= MIN_HEIGHT and iou >= MIN_FIT_IOU


def draft_model(analysis: Analysis, camera: A.Camera, *,
                deadline: Callable[[], bool] = lambda: False) -> tuple[Model, int]:
    """The whole first draft (see the module docstring). Returns (model, silhouettes computed)."""
    seg, size = analysis.seg, analysis.size
    camera = camera_from_horizon(camera, horizon_row(seg), size)
    preferred: list[Guess] = []
    guesses, index, evals = fit_regions(analysis, camera, deadline=deadline, preferred=preferred)
    camera, guesses, n = draft_camera(analysis, camera, guesses, index, deadline=deadline)
    evals += n
    if not deadline():
        guesses = shaded_kinds(analysis, camera, guesses, index, preferred)
    if guesses and not deadline():
        targets = [analysis.regions[i] for i in index]
        guesses, _, n = refine_joint(guesses, targets, camera, size, fit_position=True,
                                     fit_dims=True, max_evals=40, deadline=deadline,
                                     care=analysis.care)
        evals += n
    lighting, ground = estimate_lighting(analysis.linear, seg, analysis.objects_mask, guesses,
                                         camera, size)
    guesses = colour_guesses(analysis, camera, guesses, index, lighting,
                             ground_albedo=float(np.mean(ground)))
    if guesses and not deadline():  # remove and add hypotheses (offline.prune, .recover)
        guesses, index, _ = drop_shadow_objects(analysis, guesses, index, camera, lighting)
        guesses, index = add_shadowed_objects(
            analysis, guesses, index, camera, lighting, fit=lambda only: coloured(
                fit_regions(analysis, camera, only=only, deadline=deadline), analysis, camera,
                lighting, ground))
    model = Model(camera=camera, guesses=guesses, lighting=lighting, ground=ground,
                  region_of=list(index), names=[(f"object_{k}", f"shape_{k}", f"material_{k}")
                         for k in range(1, len(guesses) + 1)])
    return model, evals


def coloured(fitted: tuple[list[Guess], list[int], int], analysis: Analysis, camera: A.Camera,
             lighting: Lighting, ground: tuple[float, float, float]
             ) -> tuple[list[Guess], list[int]]:
    """`fit_regions`' (guesses, region indices, evals) with the guesses coloured
    (`colour_guesses`, ground albedo the mean of `ground`): the add hypotheses' fit."""
    guesses, index, _ = fitted
    return colour_guesses(analysis, camera, guesses, index, lighting,
                          ground_albedo=float(np.mean(ground))), index


def lit_ground_mask(analysis: Analysis) -> np.ndarray:
    """Ground pixels in light, 3 px clear of every object region: what an object's colour is
    measured against (`colour_guesses`, `metal_check.flipped`)."""
    seg = analysis.seg
    return seg.ground & ~seg.shadow & ~ndimage.binary_dilation(analysis.objects_mask, iterations=3)


def colour_guesses(analysis: Analysis, camera: A.Camera, guesses: list[Guess], index: list[int],
                   lighting: Lighting, ground_albedo: float = DEFAULT_GROUND_ALBEDO
                   ) -> list[Guess]:
    """Each guess with its material from the target pixels it covers (`vision.material`):
    metal or matte and roughness from the region's highlight and mirror structure, the base
    colour from its brightness relative to the lit ground around it (of albedo
    `ground_albedo`). `lighting` is not used (the ground next to the object shows the light
    that reaches it)."""
    if not guesses:
        return guesses
    lit = lit_ground_mask(analysis)
    overall = np.median(analysis.linear[lit], axis=0) if lit.sum() > 10 else None
    vis = visible_masks(guesses, camera, analysis.size)
    out = []
    for g, i, v in zip(guesses, index, vis):
        region = analysis.regions[i]
        mask = v & region
        if mask.sum() < 12:
            mask = region
        est = classify_material(analysis.linear, mask)
        near = ground_near(analysis.linear, region, lit)
        near = near if near is not None else overall
        if near is None:
            out.append(replace(g, metallic=est.metallic, roughness=est.roughness))
            continue
        colour = estimate_colour(analysis.linear, mask, near, ground_albedo, est.metallic)
        out.append(replace(g, color=colour if colour is not None else g.color,
                           metallic=est.metallic, roughness=est.roughness))
    return out
