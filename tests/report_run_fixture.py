"""A hand-built reconstruction run folder in the engine's exact format, for the report tests.

`make_run(root)` writes what `scenelang.stages.engine.loop` writes for a small staged run (geometry 3
rounds, materials 2 rounds, verifier on): target.png, start/, step folders with all seven files,
run.json, final.*. Images are small real PNGs drawn with Pillow; scene texts are valid `.sl`.
Tests then damage it (delete, truncate, corrupt) to check the report's robustness.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = (128, 96)

START_SL = """scenelang 1

geometry {
}

materials {
}

composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0) resolution (128, 96)
}

lighting {
  world color #101010 strength 1
}
"""


def scene_text(objects: list[tuple[str, str, float]], color: str | None = None) -> str:
    """A valid scene with one box shape and `objects` as (name, shape, z) placements."""
    shapes = "  shape block = box(size=(1, 1, 1))\n  shape ball = sphere(radius=0.5)\n" if objects else ""
    mats = f"  material paint = principled(base_color={color}, roughness=0.4)\n" if color else ""
    objs = "".join(
        f"  object {name} = {shape} at (0, 0, {z:g})" + (" material paint" if color else "") + "\n"
        for name, shape, z in objects)
    return (f"scenelang 1\n\ngeometry {{\n{shapes}}}\n\nmaterials {{\n{mats}}}\n\n"
            f"composition {{\n  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0) "
            f"resolution (128, 96)\n{objs}}}\n\nlighting {{\n  world color #101010 strength 1\n}}\n")


def png(path: Path, color: tuple[int, int, int], boxes: list[tuple[int, int, int, int]] = (),
        fg: tuple[int, int, int] = (200, 60, 50), size: tuple[int, int] = SIZE) -> Path:
    im = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(im)
    for box in boxes:
        draw.rectangle(box, fill=fg)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="PNG")
    return path


def score(combined: float) -> dict[str, float]:
    return {"psnr": 10 + 20 * combined, "ssim": combined * 0.9, "ms_ssim": combined * 0.95,
            "iou": combined, "edge_f1": combined * 0.8, "color_error": 1 - combined,
            "combined": combined}


def usage(calls: int, prompt: int, completion: int, images: int) -> dict[str, float]:
    return {"calls": calls, "requests": calls, "prompt_tokens": prompt,
            "completion_tokens": completion, "images_sent": images, "renders": 0,
            "latency_s": 0.5 * calls, "retries": 0}


def counters(calls: int, renders: int, seconds: float, verifications: int = 0) -> dict:
    return {"calls": calls, "proposals": calls - verifications, "verifications": verifications,
            "failed_calls": 0, "renders": renders, "render_seconds": round(seconds * 0.6, 3),
            "seconds": seconds, "usage": usage(calls, 1200 * calls, 90 * calls, 2 * calls)}


# (stage, folder, round, status, combined, scene objects, colour, response prose, checklist, error)
STEPS = [
    ("geometry", "01-geometry", 1, "accepted", 0.42, [("block_1", "block", 0.5)], None,
     "I added a box for the main block.", ["the ball on top is missing", "the block is too low"],
     None),
    ("geometry", "01-geometry", 2, "invalid", None, None, None,
     "Trying a ball.", ["the ball on top is missing"],
     "patch.slp:2:18: error: unknown shape 'bal'\n  object ball_1 = bal at (0, 0, 1.2)\n"
     "                  ^^^"),
    ("geometry", "01-geometry", 3, "accepted", 0.61,
     [("block_1", "block", 0.5), ("ball_1", "ball", 1.4)], None,
     "Added the ball on top of the block. <script>alert('x')</script>", [], None),
    ("materials", "02-materials", 1, "rejected", 0.55,
     [("block_1", "block", 0.5), ("ball_1", "ball", 1.4)], "#2060c0",
     "Blue paint.", ["the objects should be red"], None),
    ("materials", "02-materials", 2, "accepted", 0.78,
     [("block_1", "block", 0.5), ("ball_1", "ball", 1.4)], "#c03020",
     "Red paint, as the verifier asked.", [], None),
]
"""The rounds of the fixture run; the last accepted scene has 2 objects and scores 0.78."""

START_SCORE = 0.1
FINAL_SCORE = 0.78
ELAPSED = 65.0
TOTAL_CALLS = 9


def make_run(root: Path, *, finished: bool = True) -> Path:
    """Write the fixture run into `root` (created) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    png(root / "target.png", (30, 30, 35), [(40, 40, 88, 80), (52, 14, 76, 38)])
    (root / "start").mkdir()
    (root / "start" / "scene.sl").write_text(START_SL)
    png(root / "start" / "render.png", (30, 30, 35))
    (root / "start" / "score.json").write_text(json.dumps(score(START_SCORE)))

    current, current_score = "start", START_SCORE
    best, best_score = "start", START_SCORE
    rounds_log, stage_scores = [], {}
    previous_stage = None
    for stage, folder, n, status, combined, objects, color, prose, checklist, error in STEPS:
        if stage != previous_stage:
            stage_best, stage_best_score, history = current, current_score, []
            previous_stage = stage
        rel = f"stages/{folder}/step-{n:02d}"
        d = root / rel
        d.mkdir(parents=True)
        before = current_score
        patch = f"patch {stage} {{\n  # round {n}\n}}\n"
        (d / "prompt.md").write_text(f"# {stage} round {n}\n\nMake the render match the target.\n")
        (d / "response.md").write_text(f"{prose}\n\n```sl\n{patch}```\n")
        (d / "patch.slp").write_text(patch)
        if objects is None:
            (d / "scene.sl").write_text((root / current / "scene.sl").read_text())
            (d / "render.png").write_bytes((root / current / "render.png").read_bytes())
        else:
            (d / "scene.sl").write_text(scene_text(objects, color))
            boxes = [(40, 40, 88, 80)] + ([(52, 14, 76, 38)] if len(objects) > 1 else [])
            fg = {None: (180, 180, 180), "#2060c0": (32, 96, 192), "#c03020": (192, 48, 32)}[color]
            png(d / "render.png", (30, 30, 35), boxes, fg)
        if status == "accepted":
            current, current_score = rel, combined
            stage_best, stage_best_score = rel, combined
        if combined is not None and combined > best_score:
            best, best_score = rel, combined
        head = (f"{status}: no valid patch; the scene stays as it was (score {before:.4f})"
                if combined is None else f"{status}: score {before:.4f} -> {combined:.4f}")
        verdict = "approved\n" if not checklist else "rejected\n" + "".join(
            f"{i}. {item}\n" for i, item in enumerate(checklist, 1))
        (d / "verdict").write_text(head + "\nverifier: " + verdict)
        history.append(f"round {n}: {status}")
        errors = [error] if error else []
        record = {
            "stage": stage, "round": n, "step": rel, "status": status,
            "score": None if combined is None else score(combined), "combined": combined,
            "previous_combined": before, "selected": current, "selected_combined": current_score,
            "best_by_metric": {"step": best, "combined": best_score},
            "candidates": [{"number": 1, "combined": combined, "errors": errors,
                            "attempts": [{"attempt": 1, "error": error,
                                          "usage": usage(1, 1200, 90, 2)}]}],
            "verdict": {"approved": not checklist, "checklist": checklist},
            "calls": 2 if not error else 3,
            "state": {"current": current, "current_score": current_score, "best": best,
                      "best_score": best_score, "stage_best": stage_best,
                      "stage_best_score": stage_best_score, "checklist": checklist,
                      "history": list(history), "stop": None},
            "budget": {},
        }
        (d / "score.json").write_text(json.dumps(record, indent=2))
        rounds_log.append({"stage": stage, "round": n, "step": rel, "status": status,
                           "combined": combined, "selected": current, "calls": record["calls"],
                           "best_by_metric": best})
        entry = stage_scores.setdefault(stage, {"rounds": [], "accepted": 0})
        entry["rounds"].append(combined)
        entry["accepted"] += status == "accepted"
        entry["end"] = current

    budget = {
        "max_calls": 40, "max_seconds": None, "elapsed_seconds": ELAPSED,
        "total": counters(TOTAL_CALLS, 7, ELAPSED, verifications=5),
        "stages": {"start": counters(0, 1, 1.0), "geometry": counters(5, 2, 30.0, 3),
                   "materials": counters(4, 2, 20.0, 2), "final": counters(0, 1, 14.0)},
    }
    if finished:
        (root / "final.sl").write_text((root / current / "scene.sl").read_text())
        (root / "final.py").write_text("# compiled\n")
        (root / "final.blend").write_bytes(b"BLENDER")
        png(root / "final.png", (30, 30, 35), [(80, 80, 176, 160), (104, 28, 152, 76)],
            (192, 48, 32), size=(256, 192))
    run = {
        "scenelang_run": 1, "status": "finished" if finished else "interrupted", "stopped": None,
        "target": {"source": "target.png", "size": list(SIZE)},
        "settings": {"mode": "staged", "budgets": {"geometry": 3, "materials": 2,
                                                   "composition": 0, "lighting": 0},
                     "candidates": 1, "verify": True},
        "proposer": {"name": "vlm", "model": "scripted"},
        "render": {"loop_size": list(SIZE), "loop_samples": 16, "final_samples": 64},
        "budget": budget,
        "scores": {"start": START_SCORE,
                   "selected": {"step": current, "combined": current_score},
                   "best_by_metric": {"step": best, "combined": best_score},
                   "stages": stage_scores,
                   "final": score(FINAL_SCORE) if finished else None},
        "rounds": rounds_log, "sessions": [],
        "final": {k: f"final{k}" for k in (".sl", ".py", ".blend", ".png")} if finished else None,
    }
    (root / "run.json").write_text(json.dumps(run, indent=2))
    return root
