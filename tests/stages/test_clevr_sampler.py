"""The CLEVR sampler follows the generator's rules (pure Python, no Blender)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from scenelang.stages.bench import clevr
from scenelang.stages.bench.clevr_sampler import (
    BASE_CAMERA,
    camera_axes,
    footprint_ok,
    ground_directions,
    pixel_coords,
    project,
    sample_objects,
    sample_scene,
)

PROPERTIES = {
    "shapes": {"cube": "SmoothCube_v2", "sphere": "Sphere", "cylinder": "SmoothCylinder"},
    "colors": {"gray": [87, 87, 87], "red": [173, 35, 35], "blue": [42, 75, 215],
               "green": [29, 105, 20], "brown": [129, 74, 25], "purple": [129, 38, 192],
               "cyan": [41, 208, 208], "yellow": [255, 238, 51]},
    "materials": {"rubber": "Rubber", "metal": "MyMetal"},
    "sizes": {"large": 0.7, "small": 0.35},
}


def test_same_seed_same_scene_and_seeds_differ():
    a, b = sample_scene(3, PROPERTIES), sample_scene(3, PROPERTIES)
    assert a.to_json() == b.to_json()
    assert sample_scene(4, PROPERTIES).to_json() != a.to_json()


@pytest.mark.parametrize("seed", range(25))
def test_scenes_obey_the_generator_rules(seed):
    s = sample_scene(seed, PROPERTIES)
    assert 3 <= len(s.objects) <= 10
    assert all(abs(c - b) <= 0.5 for c, b in zip(s.camera_location, BASE_CAMERA))
    assert set(s.lamp_jitter) == {"Lamp_Key", "Lamp_Back", "Lamp_Fill"}
    assert all(abs(v) <= 1.0 for j in s.lamp_jitter.values() for v in j)
    assert footprint_ok(s)
    for o in s.objects:
        size = PROPERTIES["sizes"][o.size]
        expected = size / math.sqrt(2) if o.shape == "cube" else size
        assert o.scale == pytest.approx(expected)
        x, y, z = o.coords
        assert -3 <= x <= 3 and -3 <= y <= 3 and z == pytest.approx(o.scale)
        assert 0 <= o.rotation < 360
        assert o.color in PROPERTIES["colors"] and o.material in ("rubber", "metal")
        assert o.blend_object == PROPERTIES["shapes"][o.shape]
        px, py, depth = o.pixel_coords
        assert depth > 0 and -50 < px < 370 and -50 < py < 290


def test_attributes_cover_every_choice_over_many_scenes():
    objs = [o for s in range(60) for o in sample_scene(s, PROPERTIES).objects]
    assert {o.shape for o in objs} == {"cube", "sphere", "cylinder"}
    assert {o.color for o in objs} == set(PROPERTIES["colors"])
    assert {o.size for o in objs} == {"large", "small"}
    assert {o.material for o in objs} == {"rubber", "metal"}
    counts = [len(sample_scene(s, PROPERTIES).objects) for s in range(60)]
    assert min(counts) == 3 and max(counts) == 10


def test_cube_sqrt2_can_be_turned_off():
    s = sample_scene(5, PROPERTIES, cube_sqrt2=False)
    assert all(o.scale == PROPERTIES["sizes"][o.size] for o in s.objects)


def test_directions_are_the_cameras_axes_on_the_ground():
    d = ground_directions(BASE_CAMERA)
    behind = np.array(d["behind"])
    # "behind" points away from the camera, "left" is to the camera's left
    assert np.dot(behind[:2], np.array(BASE_CAMERA[:2])) < 0
    assert np.allclose(np.cross(d["left"], d["behind"]), (0, 0, -1), atol=1e-9) or \
        np.allclose(np.cross(d["behind"], d["left"]), (0, 0, 1), atol=1e-9)
    for v in d.values():
        assert np.linalg.norm(v) == pytest.approx(1.0)


def test_projection_puts_the_origin_at_the_image_centre():
    x, y, depth = project(np.zeros((1, 3)), BASE_CAMERA)[0]
    assert (x, y) == pytest.approx((160, 120))
    assert depth == pytest.approx(np.linalg.norm(BASE_CAMERA))
    # a point 1 m along the camera's right axis at the origin's depth: f = 35/32*320 = 350 px
    right = camera_axes(BASE_CAMERA)[:, 0]
    x, _, _ = project(right[None], BASE_CAMERA)[0]
    assert x - 160 == pytest.approx(350 / np.linalg.norm(BASE_CAMERA), rel=1e-6)
    assert pixel_coords((0, 0, 0), BASE_CAMERA) == (160, 120, pytest.approx(depth))


def test_placement_retries_then_redraws():
    # a margin larger than the arena cannot be met by 2 objects: every try fails, so it redraws
    with pytest.raises(RuntimeError):
        sample_objects(random.Random(0), 2, PROPERTIES, ground_directions(BASE_CAMERA),
                       margin=100.0, max_redraws=3)
    objs, redraws = sample_objects(random.Random(0), 10, PROPERTIES, ground_directions(BASE_CAMERA))
    assert len(objs) == 10 and redraws >= 0


def test_visibility_callback_redraws_objects_keeping_camera():
    calls = []

    def visible(scene):
        calls.append(scene.camera_location)
        return len(calls) >= 3

    s = sample_scene(7, PROPERTIES, visible=visible)
    assert len(calls) == 3 and len(set(calls)) == 1
    assert s.redraws >= 2


def test_asset_path_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv(clevr.ASSETS_ENV, str(tmp_path))
    assert clevr.default_assets() == tmp_path
    with pytest.raises(clevr.ClevrAssetsError, match="facebookresearch/clevr-dataset-gen"):
        clevr.resolve_assets()
    for f in clevr.ASSET_FILES:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("{}")
    assert clevr.resolve_assets() == tmp_path.resolve()
    monkeypatch.delenv(clevr.ASSETS_ENV)
    shared = clevr.REPO_ROOT.parent / "shared" / "clevr"
    assert clevr.default_assets() == (shared if shared.is_dir() else None)


def test_shared_properties_match_the_sampler_fixture():
    folder = clevr.default_assets()
    if folder is None or not (Path(folder) / "properties.json").is_file():
        pytest.skip("CLEVR assets not available")
    assert json.loads((Path(folder) / "properties.json").read_text()) == PROPERTIES
