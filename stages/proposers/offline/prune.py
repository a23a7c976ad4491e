"""Remove hypotheses: a fitted object that is really a piece of cast shadow is dropped.

The segmentation cannot always tell a piece of cast shadow from a dark object (a crisp-edged
shadow next to its caster, a shadow on a tinted ground whose hue is not grey). After the draft
has fitted every region, each suspect object `k` is tested against the hypothesis "there is no
object here: the pixels are ground, darkened where the other objects cast their shadows":

1. suspects are regions darker than the ground model in every channel (median linear ratio
   pixel / ground below `DARKER` in each channel) whose ratio's chromaticity is even (spread
   at most `EVEN_TINT`): shadowed ground. Its hue is grey or the umbra's (within `SHADOW_HUE`)
   when white light is blocked; other hues (`tinted`: coloured ambient light, or a coloured
   object) need stronger evidence in step 3. At most `MAX_TESTS` are tested, untinted first,
   darkest first (deterministic, fixed budget);
2. the other objects' predicted shadow (`light.predicted_shadow` along the draft's sun,
   widened by `SHADOW_SLACK` px) must cover at least `MIN_COVER` of the region. When it does
   not, the sun is estimated again under the hypothesis (without object `k`, its region
   counted as shadow, `light.sun_from_shadows`) and used only when it still explains the
   other segmented shadows (shadow IoU outside the region at least `SUN_AGREEMENT` times the
   draft sun's): the hypothesis must not bend the light to fit itself;
3. render-and-compare (`compare`) over the region and object `k`'s rendered pixels: with the
   object, its preview render (`backends.preview`: the draft's shapes, colours and lights)
   scaled by one linear RGB factor; without it, the ground model scaled by one factor in the
   others' predicted shadow. The object is dropped when the mean sRGB error without it is at
   most the error with it minus `MARGIN` (0.01): the simpler hypothesis (one colour factor
   instead of a solid's pose, size and colour) must explain the pixels better by that much;
   a tinted suspect only when removal at least halves the error (`TINTED_FACTOR`).

`drop_shadow_objects` applies the tests to a draft; `offline.recover` uses `compare` and
`objects_scene` for the add hypotheses.

Images are float (H, W, 3) sRGB in 0..1 (`Analysis.target`) or linear RGB (`Analysis.linear`);
masks bool (H, W).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline.fit import Guess, masked_iou, visible_masks
from scenelang.stages.proposers.offline.light import (
    Lighting,
    ShadowMasks,
    predicted_shadow,
    sun_from_shadows,
)
from scenelang.stages.vision.masks import linear_to_srgb, srgb_to_linear

DARKER = 0.9
"""A suspect's median linear ratio to the ground model is below this in every channel."""
EVEN_TINT = 0.04
"""Largest spread (median distance to the median) of a suspect's ratio chromaticity."""
SHADOW_HUE = 0.05
"""Largest distance of a suspect's median ratio chromaticity from grey or from the umbra's
(`Segmentation.shadow_ratio`): shadowed ground keeps the ground's hue, or takes the ambient's."""
MAX_TESTS = 6
"""At most this many suspects are tested per draft (darkest first; each may re-estimate the
sun: `light.sun_from_shadows`' fixed grid of about 220 shadow predictions)."""
SHADOW_SLACK = 2
"""Pixels by which the other objects' predicted shadow is widened (penumbra, fit errors)."""
MIN_COVER = 0.6
"""Share of a suspect's region the other objects' predicted shadow must cover."""
SUN_AGREEMENT = 0.8
"""A sun re-estimated under a remove hypothesis must reach this share of the draft sun's
shadow IoU, counted outside the region (the hypothesis must not bend the light)."""
MARGIN = 0.01
"""Removal is kept when its mean sRGB error is at most the object's minus this."""
TINTED_FACTOR = 0.5
"""A suspect of another hue than grey or the umbra's (a shadow in coloured ambient light, or a
coloured object) is dropped only when removal at least halves the error: stronger evidence."""


@dataclass(frozen=True)
class Test:
    """One remove hypothesis: guess `k`, the share of its region in the others' predicted
    shadow (`cover`), and the mean sRGB errors with and without the object (None when the
    cover test failed first)."""

    k: int
    cover: float
    error_with: float | None = None
    error_without: float | None = None
    tinted: bool = False

    @property
    def dropped(self) -> bool:
        if self.error_with is None or self.error_without is None:
            return False
        if self.tinted:
            return self.error_without <= TINTED_FACTOR * self.error_with
        return self.error_without <= self.error_with - MARGIN


def suspects(regions: Sequence[np.ndarray], linear: np.ndarray, ground_model: np.ndarray,
             index: Sequence[int], shadow_ratio: Sequence[float] | None = None
             ) -> list[tuple[int, bool]]:
    """(position k into `index` (the guesses' regions), tinted) of the regions that look like
    shadowed ground (see the module docstring), grey or umbra-hued first, then darkest first,
    at most `MAX_TESTS`; `tinted`
    when the hue is neither grey nor the umbra's (within `SHADOW_HUE`)."""
    ground = np.maximum(srgb_to_linear(ground_model), 1e-4)
    ratio = linear / ground
    tints = [np.full(3, 1 / 3)]
    if shadow_ratio is not None and sum(shadow_ratio) > 1e-6:
        tints.append(np.asarray(shadow_ratio, float) / float(sum(shadow_ratio)))
    found = []
    for k, i in enumerate(index):
        q = ratio[regions[i]]
        med = np.median(q, axis=0)
        if not (med < DARKER).all():
            continue
        chroma = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-6)
        centre = np.median(chroma, axis=0)
        spread = float(np.median(np.linalg.norm(chroma - centre, axis=1)))
        hue = min(float(np.linalg.norm(centre - t)) for t in tints)
        if spread <= EVEN_TINT:
            found.append((hue > SHADOW_HUE, float(med.mean()), k))
    return [(k, tinted) for tinted, _, k in sorted(found)[:MAX_TESTS]]


def remove_shadow_objects(analysis, guesses: Sequence[Guess], index: Sequence[int],
                          camera: A.Camera, lighting: Lighting) -> list[Test]:
    """The remove hypotheses tested for the draft `guesses` (fitted to `analysis.regions[index]`
    through `camera`, coloured, under the estimated `lighting`). A guess k is to be dropped
    when its test is `dropped`. `analysis` is an `offline.draft.Analysis`."""
    size = analysis.size
    seg = analysis.seg
    regions = analysis.regions
    tests: list[Test] = []
    picked = suspects(regions, analysis.linear, seg.ground_model, index, seg.shadow_ratio)
    if not picked or len(guesses) < 2:
        return tests
    preview = render_preview(objects_scene(guesses, camera, lighting), size)
    everything = analysis.objects_mask
    vis = visible_masks(guesses, camera, size)
    care = ~everything & ~seg.background
    masks = ShadowMasks(camera, size)
    baseline = masked_iou(predicted_shadow(guesses, np.asarray(lighting.direction, float), camera,
                                           size), seg.shadow, care)
    for k, tinted in picked:
        region = regions[index[k]]
        others = [g for j, g in enumerate(guesses) if j != k]
        pred = shadow_of(others, np.asarray(lighting.direction, float), camera, size)
        cover = float((pred & region).sum() / max(region.sum(), 1))
        if cover < MIN_COVER:
            # the sun estimated under this hypothesis (the region counted as shadow) must
            # explain the segmented shadows about as well as the draft's sun does
            found = sun_from_shadows(others, camera, size, seg.shadow | region,
                                     everything & ~region, seg.background, masks=masks)
            if found is not None:
                pred = shadow_of(others, found[0], camera, size)
                agree = masked_iou(predicted_shadow(others, found[0], camera, size), seg.shadow,
                                   care & ~region)
                cover = (float((pred & region).sum() / max(region.sum(), 1))
                         if agree >= SUN_AGREEMENT * baseline else 0.0)
        if cover < MIN_COVER:
            tests.append(Test(k, cover, tinted=tinted))
            continue
        e_with, e_without = compare(analysis, preview, k, vis[k], region, pred)
        tests.append(Test(k, cover, e_with, e_without, tinted))
    return tests


def shadow_of(guesses: Sequence[Guess], direction: np.ndarray, camera: A.Camera,
              size: tuple[int, int]) -> np.ndarray:
    """The predicted shadow of `guesses`, widened by `SHADOW_SLACK` px."""
    pred = predicted_shadow(guesses, direction, camera, size)
    return ndimage.binary_dilation(pred, iterations=SHADOW_SLACK)


def compare(analysis, preview, k: int, visible: np.ndarray, region: np.ndarray,
            shadow: np.ndarray) -> tuple[float, float]:
    """Render-and-compare of object k (its `preview` from `objects_scene`, falling back to its
    `visible` silhouette) against its absence, over `region` and the object's pixels (other
    regions left out): the mean sRGB error (with, without). With it: its rendered shading
    scaled by one linear RGB factor where it shows, the ground model elsewhere. Without it: the
    ground model, scaled by one factor (the median ratio, each channel at most 1) in `shadow`
    (the other objects' predicted shadow)."""
    linear, seg = analysis.linear, analysis.seg
    ground = np.maximum(srgb_to_linear(seg.ground_model), 1e-4)
    target = np.asarray(analysis.target, float)
    own = _own_pixels(preview.object_id, list(preview.object_names), k, visible)
    area = (region | own) & ~(analysis.objects_mask & ~region)
    dark = area & shadow & region
    shade = (np.minimum(np.median(linear[dark] / ground[dark], axis=0), 1.0) if dark.any()
             else np.ones(3))
    without = ground * np.where(shadow[..., None], shade, 1.0)
    shaded = np.maximum(srgb_to_linear(np.asarray(preview.color, float)), 1e-4)
    fit = own & region
    scale = np.median(linear[fit] / shaded[fit], axis=0) if fit.any() else np.ones(3)
    with_ = np.where(own[..., None], shaded * scale, ground)
    return (_error(target, linear_to_srgb(with_), area),
            _error(target, linear_to_srgb(without), area))


def _own_pixels(object_id: np.ndarray, names: list[str], k: int, visible: np.ndarray) -> np.ndarray:
    """Guess k's pixels in the preview (its object is named `o{k}`), falling back to its
    visible silhouette."""
    name = f"o{k}"
    return object_id == names.index(name) if name in names else visible


def objects_scene(guesses: Sequence[Guess], camera: A.Camera, lighting: Lighting) -> A.Scene:
    """The draft's objects (no ground) in their colours under its sun, world and lamps."""
    def rgb(c) -> A.RGB:
        r, g, b = (float(np.clip(v, 0.0, 1.0)) for v in c)
        return A.RGB(r=r, g=g, b=b)

    shapes, mats, objects = [], [], [camera]
    for i, g in enumerate(guesses):
        shapes.append(A.ShapeDef(name=f"p{i}", shape=g.shape()))
        mats.append(A.MaterialDef(name=f"m{i}", material=A.Principled(
            base_color=rgb(g.color), metallic=float(g.metallic), roughness=float(g.roughness))))
        objects.append(A.ObjectDef(name=f"o{i}", shape=f"p{i}", at=g.at(),
                                   rotate=(0.0, 0.0, g.yaw), material=f"m{i}"))
    strength = max(1.0, max(lighting.world))
    lights = [A.World(color=rgb(np.asarray(lighting.world) / strength), strength=strength),
              A.LightDef(name="sun", light=A.Sun(direction=tuple(float(v) for v in lighting.direction),
                                                 energy=float(max(lighting.energy, 0.0)),
                                                 color=rgb(lighting.color)))]
    lights += [A.LightDef(name=f"lamp_{j}", light=A.Point(at=tuple(float(v) for v in m.at),
                                                          energy=float(max(m.energy, 0.0)),
                                                          color=rgb(m.color)))
               for j, m in enumerate(lighting.lamps, 1)]
    return A.Scene(
        geometry=A.Section(name="geometry", statements=tuple(shapes)),
        materials=A.Section(name="materials", statements=tuple(mats)),
        composition=A.Section(name="composition", statements=tuple(objects)),
        lighting=A.Section(name="lighting", statements=tuple(lights)),
    )


def _error(target: np.ndarray, predicted: np.ndarray, area: np.ndarray) -> float:
    if not area.any():
        return 0.0
    return float(np.mean(np.linalg.norm(target[area] - predicted[area], axis=1)))


def drop_shadow_objects(analysis, guesses: Sequence[Guess], index: Sequence[int],
                        camera: A.Camera, lighting: Lighting
                        ) -> tuple[list[Guess], list[int], list[Test]]:
    """`guesses` and their region `index` without the objects whose remove hypothesis holds
    (`remove_shadow_objects`), and the tests. The dropped regions are taken out of
    `analysis.regions` (in place: later stages must not fit them again) and given to the
    ground and its shadow in `analysis.seg`; the returned indices point into the new list."""
    tests = remove_shadow_objects(analysis, guesses, index, camera, lighting)
    drop = {t.k for t in tests if t.dropped}
    if not drop:
        return list(guesses), list(index), tests
    gone = {index[k] for k in drop}
    renumber, kept = {}, []
    for i, region in enumerate(analysis.regions):
        if i not in gone:
            renumber[i] = len(kept)
            kept.append(region)
    freed = np.zeros(analysis.seg.shape, bool)
    for i in gone:
        freed |= analysis.regions[i]
    seg = analysis.seg
    labels = seg.labels.copy()
    labels[freed] = 1
    analysis.seg = replace(seg, ground=seg.ground | freed, shadow=seg.shadow | freed, labels=labels)
    analysis.regions = kept
    out = [(g, renumber[i]) for k, (g, i) in enumerate(zip(guesses, index)) if k not in drop]
    return [g for g, _ in out], [i for _, i in out], tests
