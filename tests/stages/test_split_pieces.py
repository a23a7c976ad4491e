"""Split hypotheses (offline.split) near other evidence: a box whose shaded side reads as shadow
is not cut in two, a piece of a neighbouring object cut off a region joins that neighbour, a
true split next to a third object stays three objects; and the fits are made once
(offline.memo: the draft's fits of the regions are the split's).

Synthetic cases with known answers: silhouettes of known primitives (and a box's face
projected as a polygon) through the prior camera at the engine's 256 x 192 loop size, and one
image drawn analytically and analysed end to end. About 10 s in all."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import polygon
from split_scenes import CAMERA, SIZE, lateral

from scenelang.backends.camera import project
from scenelang.stages.proposers.offline.draft import analyse, fit_regions
from scenelang.stages.proposers.offline.fit import Guess, fit_single, masked_iou, silhouette, visible_masks
from scenelang.stages.proposers.offline.memo import FitMemo
from scenelang.stages.proposers.offline.split import split_regions, touching_shadow
from scenelang.stages.vision.camera import PRIOR_LENS, gauge_camera


def _grey() -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), 0.4, np.float32)


def _box_face(g: Guess, corners: list[int]) -> np.ndarray:
    """The pixels of the face of box `g` through the corners `corners` (0-3 the bottom ones,
    4-7 the top ones above them, counter-clockwise), within its silhouette."""
    sx, sy, sz = g.dims
    c, s = np.cos(np.radians(g.yaw)), np.sin(np.radians(g.yaw))
    points = [(g.x + c * dx * sx / 2 - s * dy * sy / 2, g.y + s * dx * sx / 2 + c * dy * sy / 2, z)
              for z in (0.0, sz) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    uv, _ = project(np.array(points), CAMERA, SIZE)
    face = np.zeros((SIZE[1], SIZE[0]), bool)
    rr, cc = polygon(uv[corners, 1], uv[corners, 0], face.shape)
    face[rr, cc] = True
    return face & silhouette(g, CAMERA, SIZE)


def test_box_whose_shaded_side_reads_as_shadow_is_not_split():
    box = Guess("box", (1.0, 1.0, 1.0), 0.0, 0.0, yaw=20.0)
    whole = silhouette(box, CAMERA, SIZE)
    side = _box_face(box, [1, 2, 6, 5])  # its right side, taken for shadow
    assert 0.15 < side.sum() / whole.sum() < 0.4
    region = whole & ~side  # an L: the top and the left side
    care = np.ones_like(region)
    # the cause: scored against its shaded side, one box explains the L worse than two do
    out, splits = split_regions([region], care, _grey(), CAMERA, SIZE)
    assert len(out) == 2 and len(splits) == 1
    # with the shadow touching the region not counted, one box explains it: no split
    assert np.array_equal(touching_shadow(region, side), side)
    out, splits = split_regions([region], care, _grey(), CAMERA, SIZE, shadow=side)
    assert len(out) == 1 and not splits
    assert np.array_equal(out[0], region)


def test_shadow_away_from_the_region_is_counted():
    box = Guess("box", (1.0, 1.0, 1.0), 0.0, 0.0, yaw=20.0)
    region = silhouette(box, CAMERA, SIZE)
    far = np.zeros_like(region)
    far[10:20, 10:30] = True
    assert not touching_shadow(region, far).any()
    assert not touching_shadow(region, None).any()


def test_piece_of_a_neighbouring_object_joins_it():
    # a sphere's top cap joined by colour to the box beside it (its rim or a reflection the
    # segmentation gave the box), the rest of the sphere a region of its own: the cap is cut
    # off the box's region and joins the sphere's, two regions, each one whole object
    lat, towards = lateral(), np.asarray(CAMERA.at[:2], float) / np.linalg.norm(CAMERA.at[:2])
    box = Guess("box", (0.9, 0.9, 0.9), *(-0.5 * lat), yaw=15.0)
    sphere = Guess("sphere", (0.45,), *(0.5 * lat + 0.9 * towards))  # in front, to the right
    v_box, v_sphere = visible_masks([box, sphere], CAMERA, SIZE)
    rows = np.nonzero(v_sphere)[0]
    cap = v_sphere & (np.arange(SIZE[1])[:, None] < rows.min() + 0.35 * np.ptp(rows))
    assert (ndimage.binary_dilation(cap, iterations=2) & v_box).any()  # they touch
    regions = [v_box | cap, v_sphere & ~cap]
    out, splits = split_regions(regions, np.ones_like(cap), _grey(), CAMERA, SIZE)
    assert len(splits) == 1 and 1 in splits[0].joined
    assert len(out) == 2
    assert masked_iou(out[0], v_box) > 0.97 and masked_iou(out[1], v_sphere) > 0.97


def test_true_split_beside_a_third_object_is_kept():
    # two touching spheres of one colour (one region) and a cylinder touching the second
    # (its own region): the split's parts are objects of their own, none joins the cylinder
    lat = lateral()
    a = Guess("sphere", (0.5,), *(-0.95 * lat))
    b = Guess("sphere", (0.5,), 0.0, 0.0)
    c = Guess("cylinder", (0.45, 1.0), *(0.9 * lat))
    va, vb, vc = visible_masks([a, b, c], CAMERA, SIZE)
    assert (ndimage.binary_dilation(vb) & vc).any()
    out, splits = split_regions([va | vb, vc], np.ones_like(va), _grey(), CAMERA, SIZE)
    assert len(splits) == 1 and splits[0].joined == (None, None)
    assert len(out) == 3
    for truth in (va, vb, vc):
        assert max(masked_iou(o, truth) for o in out) > 0.9


def test_memo_gives_the_fit_once():
    region = silhouette(Guess("cylinder", (0.5, 1.0), 0.3, -0.2), CAMERA, SIZE)
    care = np.ones_like(region)
    memo = FitMemo()
    first = memo.fit("cylinder", region, care, CAMERA, SIZE, max_evals=40)
    again = memo.fit("cylinder", region, care, CAMERA, SIZE, max_evals=40)
    assert (memo.misses, memo.hits) == (1, 1)
    assert again == first == fit_single("cylinder", region, care, CAMERA, SIZE, max_evals=40)
    # another budget, care or camera is another fit
    memo.fit("cylinder", region, care, CAMERA, SIZE, max_evals=30)
    memo.fit("cylinder", region, care & (np.arange(SIZE[0]) < 200), CAMERA, SIZE, max_evals=40)
    memo.fit("cylinder", region, care, gauge_camera(30.0, PRIOR_LENS, resolution=SIZE), SIZE,
             max_evals=40)
    assert memo.misses == 4
    # the camera's resolution is not part of the key (the fit's size is)
    memo.fit("cylinder", region, care, CAMERA.model_copy(update={"resolution": (320, 240)}),
             SIZE, max_evals=40)
    assert memo.misses == 4


def test_draft_fits_reuse_the_split_screen():
    # an image analysed end to end: the draft's own fits of its regions through the same
    # start camera are all answered from the analysis' memo (no fit is run twice)
    h, w = SIZE[1], SIZE[0]
    img = np.broadcast_to(0.45 + 0.1 * np.linspace(0, 1, h)[:, None, None], (h, w, 3)).copy()
    lat = lateral()
    objects = [Guess("box", (0.8, 0.8, 0.8), *(-1.2 * lat), yaw=25.0),
               Guess("sphere", (0.5,), *(1.2 * lat))]
    for v, colour in zip(visible_masks(objects, CAMERA, SIZE), ((0.7, 0.2, 0.1), (0.1, 0.3, 0.7))):
        img[v] = colour
    analysis = analyse(img)
    assert len(analysis.regions) == 2
    misses, hits = analysis.memo.misses, analysis.memo.hits
    guesses, index, _ = fit_regions(analysis, CAMERA)
    assert analysis.memo.misses == misses and analysis.memo.hits >= hits + 8
    assert sorted(g.kind for g in guesses) == ["box", "sphere"]
