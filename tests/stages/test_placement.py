"""3D placement measures: the gauge alignment undoes exactly what one image cannot tell."""

import math

import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.stages.bench.placement import (
    Similarity,
    aligned_scene,
    camera_azimuth,
    gauge_alignment,
    placement,
)
from scenelang.stages.bench.scenes import make_scene

SIZE = (160, 120)


def _moved(scene: A.Scene, sim: Similarity) -> A.Scene:
    """The same scene in another gauge: every object and the camera carried by `sim`."""
    statements = []
    for st in scene.composition.statements:
        if isinstance(st, A.Camera):
            at = tuple(sim.apply(np.asarray(st.at))[0])
            look = tuple(sim.apply(np.asarray(st.target()))[0])
            st = st.model_copy(update={"at": at, "look_at": look, "rotate": None})
        elif isinstance(st, A.ObjectDef):
            at = tuple(sim.apply(np.asarray(st.at))[0])
            st = st.model_copy(update={"at": at, "rotate": (0.0, 0.0, st.rotate[2] + sim.turn_deg),
                                       "scale": sim.scale})
        statements.append(st)
    return scene.with_section(A.Section(name="composition", statements=tuple(statements)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_scene_in_another_gauge_aligns_back_exactly(seed):
    truth = make_scene(2, seed, SIZE)
    other = _moved(truth, Similarity(scale=1.7, turn_deg=63.0, pivot=(0.3, -0.2, 0.0),
                                     target=(5.0, 2.0, 0.0)))
    world = placement(truth, other, frame="world")
    aligned = placement(truth, other, frame="aligned")
    assert world["position_error"] > 1.0 and world["within_0.5"] < 1.0
    assert aligned["position_error"] < 1e-6
    assert aligned["within_0.5"] == aligned["within_0.25"] == 1.0
    # the image is the same, so the aligned reconstruction projects exactly like the truth
    recon = aligned_scene(other, truth.camera())
    for t, r in zip(truth.objects()[1:], recon.objects()[1:]):
        a, _ = project(np.asarray([t.at]), truth.camera(), SIZE)
        b, _ = project(np.asarray([r.at]), recon.camera(), SIZE)
        assert np.allclose(a, b, atol=1e-6)


def test_gauge_alignment_of_identical_cameras_is_the_identity():
    camera = make_scene(1, 0, SIZE).camera()
    sim = gauge_alignment(camera, camera)
    assert sim.scale == 1.0 and abs(sim.turn_deg) < 1e-9
    p = np.array([[1.0, 2.0, 0.5]])
    assert np.allclose(sim.apply(p), p)


def test_azimuth_of_the_default_camera():
    # the default camera at (7.36, -6.93, 4.96) looks at the origin: towards (-x, +y)
    assert camera_azimuth(A.DEFAULT_CAMERA) == pytest.approx(
        math.degrees(math.atan2(6.93, -7.36)), abs=1e-4)  # Blender tracks in float32


def test_a_missing_and_a_misplaced_object_count_against_the_shares():
    truth = make_scene(2, 3, SIZE)
    objects = [o for o in truth.objects() if o.name != "ground"]
    assert len(objects) >= 3
    moved, dropped = objects[0], objects[1]
    statements = []
    for st in truth.composition.statements:
        if isinstance(st, A.ObjectDef) and st.name == dropped.name:
            continue
        if isinstance(st, A.ObjectDef) and st.name == moved.name:
            st = st.model_copy(update={"at": (st.at[0] + 0.4, st.at[1], st.at[2])})
        statements.append(st)
    recon = truth.with_section(A.Section(name="composition", statements=tuple(statements)))
    m = placement(truth, recon, frame="world")
    n = len(objects)
    assert m["within_0.5"] == pytest.approx((n - 1) / n)
    assert m["within_0.25"] == pytest.approx((n - 2) / n)
    assert m["position_error"] == pytest.approx(0.4 / (n - 1), abs=1e-9)


def test_unknown_frame_is_refused():
    scene = make_scene(1, 0, SIZE)
    with pytest.raises(ValueError, match="world or aligned"):
        placement(scene, scene, frame="camera")
