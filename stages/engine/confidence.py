"""How far to trust a finished reconstruction: per-object and overall confidence, and doubts.

`assess(scene, target, render, score, hints)` looks only at what every run has, whatever the
proposer: the final scene, the target, the final render and its score. It is written into
run.json (`confidence`), shown by report.html and warned about by `scenelang reconstruct`.

- per object: its visible pixels in the preview of the final scene (ground planes left out),
  and how well the final render matches the target there: `1 - mean |target - render| / 0.25`
  over those pixels (sRGB 0..1; an error of 0.25 or more gives 0), clipped to 0..1. An object
  that fills more than `FRAME_SHARE` of the frame, or whose projected extent is wider or taller
  than the frame, is doubtful (a light patch or backdrop taken for an object) and gets at most
  0.2; an object with no visible pixel gets 0;
- overall: the smaller of the final combined score and the mean object confidence (the score
  alone when the scene has no objects);
- doubts (each a sentence): a combined score below `LOW_SCORE`, every doubtful object, and the
  proposer's own `hints` (for example an ambiguous camera estimate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import render_preview

LOW_SCORE = 0.75
"""A final combined score below this is reported as doubtful."""
FRAME_SHARE = 0.5
"""An object covering more than this share of the image is doubtful."""
ERROR_SCALE = 0.25
"""Mean absolute sRGB error (0..1) at which an object's confidence reaches 0."""
DOUBTFUL_CAP = 0.2
"""The most confidence a doubtful object keeps."""


@dataclass(frozen=True)
class Confidence:
    """`overall` and `objects` (name -> confidence) in 0..1; `doubts`: why to be careful."""

    overall: float
    objects: dict[str, float] = field(default_factory=dict)
    doubts: tuple[str, ...] = ()

    @property
    def doubtful(self) -> bool:
        return bool(self.doubts)

    def to_dict(self) -> dict[str, Any]:
        return {"overall": round(self.overall, 4),
                "objects": {k: round(v, 4) for k, v in self.objects.items()},
                "doubts": list(self.doubts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Confidence:
        return cls(overall=float(data.get("overall", 0.0)),
                   objects={str(k): float(v) for k, v in dict(data.get("objects") or {}).items()},
                   doubts=tuple(str(d) for d in data.get("doubts") or ()))


def assess(scene: A.Scene, target: np.ndarray, render: np.ndarray,
           score: Mapping[str, float], hints: Iterable[str] = ()) -> Confidence:
    """The confidence of `scene` (module docstring). `target` and `render` are float sRGB
    `H x W x 3` images of the same size; `score` holds at least `combined`."""
    h, w = target.shape[:2]
    combined = float(score.get("combined", 0.0))
    doubts = [f"low score: the final render matches the target with combined score "
              f"{combined:.2f} (below {LOW_SCORE})"] if combined < LOW_SCORE else []
    meshes = [m for m in scene_meshes(scene) if not m.is_surface]
    objects: dict[str, float] = {}
    if meshes:
        preview = render_preview(scene, (w, h), meshes=meshes)
        error = np.abs(np.asarray(target, float) - np.asarray(render, float)).mean(axis=2)
        for mesh in meshes:
            visible = preview.object_id == preview.object_names.index(mesh.name) \
                if mesh.name in preview.object_names else np.zeros((h, w), bool)
            value = 0.0
            if visible.any():
                value = float(np.clip(1.0 - error[visible].mean() / ERROR_SCALE, 0.0, 1.0))
            reason = _too_large(mesh.mesh.vertices, scene.camera(), (w, h), visible)
            if reason:
                doubts.append(f"object {mesh.name} {reason}")
                value = min(value, DOUBTFUL_CAP)
            objects[mesh.name] = value
    overall = min(combined, float(np.mean(list(objects.values())))) if objects else combined
    doubts.extend(h for h in hints if h)
    return Confidence(overall=float(np.clip(overall, 0.0, 1.0)), objects=objects,
                      doubts=tuple(dict.fromkeys(doubts)))


def _too_large(vertices: np.ndarray, camera: A.Camera, size: tuple[int, int],
               visible: np.ndarray) -> str | None:
    """Why an object is implausibly large in the image, or None."""
    share = float(visible.mean()) if visible.size else 0.0
    if share > FRAME_SHARE:
        return f"covers {share:.0%} of the image (more than {FRAME_SHARE:.0%})"
    uv, depth = project(np.asarray(vertices, float), camera, size)
    front = depth > 0
    if not front.all():
        return "reaches behind the camera"
    extent = uv.max(axis=0) - uv.min(axis=0)
    if extent[0] > size[0] or extent[1] > size[1]:
        return "is larger than the frame"
    return None
