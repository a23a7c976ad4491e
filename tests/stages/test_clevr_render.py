"""A real Blender render of a 3-object CLEVR scene with the generator's assets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from scenelang.stages.bench import clevr
from scenelang.stages.bench.clevr_sampler import camera_axes, project

pytestmark = pytest.mark.blender

SEED = 0  # with exactly 3 objects: a blue rubber cylinder, a yellow metal cube, a grey metal cylinder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if clevr.default_assets() is None:
        pytest.skip(f"CLEVR assets not found (set ${clevr.ASSETS_ENV})")
    out = tmp_path_factory.mktemp("clevr")
    (folder,) = clevr.render_scenes(1, SEED, out, samples=16, min_objects=3, max_objects=3,
                                    timeout=240)
    data = json.loads((folder / "scene.json").read_text())
    target = np.asarray(Image.open(folder / "target.png").convert("RGB"), dtype=float) / 255
    mask = np.asarray(Image.open(folder / "mask.png"))
    mask = mask[..., 0] if mask.ndim == 3 else mask
    return folder, data, target, mask


def test_image_and_ground_truth_files(rendered):
    folder, data, target, mask = rendered
    assert target.shape == (240, 320, 3) and mask.shape == (240, 320)
    assert target.std() > 0.03  # not blank
    assert len(data["objects"]) == 3
    for o in data["objects"]:
        assert set(o) >= {"shape", "size", "material", "color", "3d_coords", "rotation",
                          "pixel_coords"}
    cam = data["camera"]
    assert cam["lens_mm"] == 35 and cam["sensor_width_mm"] == 32 and cam["resolution"] == [320, 240]
    # Blender's tracked camera pose is the analytic "look at the origin" pose
    assert np.allclose(np.array(cam["rotation_matrix"]), camera_axes(cam["location"]), atol=1e-5)
    assert all(n >= 200 for n in data["extra"]["visible_pixels"])
    assert sorted(np.unique(mask).tolist()) == [0, 1, 2, 3]


def test_pixel_coordinates_fall_on_objects(rendered):
    _, data, target, mask = rendered
    background = target[mask == 0]
    bg_mean, bg_std = background.mean(axis=0), background.mean(axis=1).std()
    for o in data["objects"]:
        x, y, depth = o["pixel_coords"]
        # Blender's projection agrees with the sampler's pinhole model
        px, py, d = project(np.array([o["3d_coords"]]), data["camera"]["location"])[0]
        assert abs(px - x) <= 1 and abs(py - y) <= 1 and d == pytest.approx(depth, rel=1e-4)
        assert mask[y, x] != 0, o  # an object (possibly one in front) is there, not the ground
        patch = target[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3].reshape(-1, 3).mean(axis=0)
        assert np.abs(patch - bg_mean).max() > 2 * bg_std, o


def test_metal_and_rubber_look_different(rendered):
    _, data, target, mask = rendered
    lum = target.mean(axis=2)
    spread = {"metal": [], "rubber": []}
    for k, o in enumerate(data["objects"]):
        values = lum[mask == k + 1]
        spread[o["material"]].append(values.std() / values.mean())
    assert spread["metal"] and spread["rubber"], "the seed must give both materials"
    # mirror-like metal reflects the dark world and the bright lamps; rubber shades smoothly
    assert np.mean(spread["metal"]) > 1.5 * np.mean(spread["rubber"])
