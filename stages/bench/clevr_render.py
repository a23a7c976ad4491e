"""The Blender script that renders CLEVR scenes with the CLEVR generator's assets, as text.

`SCRIPT` is written to a scratch file by `clevr.render_scenes` and run in a subprocess (bpy is
only ever imported inside Blender, as the project's layer contract requires):

    python clevr_render_script.py --sampler-dir DIR --assets DIR --out DIR --seed S --n N
        [--samples 32] [--threads 0] [--width 320] [--height 240] [--min-pixels 200]
        [--no-cube-sqrt2] [--skip-existing]

(the bpy wheel's Python; an external Blender runs it as `blender -b --factory-startup --python
clevr_render_script.py -- ARGS`). `--sampler-dir` is the folder of `clevr_sampler.py`, which
the script imports (it needs no scenelang import, so an external Blender can run it too).
Scene `seed + i` goes to `OUT/scene<seed+i:03d>/`: `target.png` (Cycles, CPU) and
`scene.json` (ground truth, camera, lamps, timings) and `mask.png` (instance labels).

One process renders every scene: `base_scene.blend` is opened once, the shapes
(`<file>.blend/Object/<name>`) and node groups (`<file>.blend/NodeTree/<name>`) are appended
once and copied per object, and between scenes the camera and lamps go back to their base
locations and the previous objects are deleted. The 200-visible-pixel rule is checked with a
flat render: every object gets an emission material of its own colour, ground and lamps are
hidden, Cycles renders 1 sample with a near-zero pixel filter, and the pixels of each colour are
counted; a scene failing it is re-drawn (objects only, as the generator does). The accepted
flat render is kept as `mask.png` (8-bit RGB, R = G = B: 0 background, k + 1 = object k).
"""

from __future__ import annotations

from pathlib import Path

SCRIPT = r'''from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import bpy  # noqa: I001  (only inside Blender)
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector


def _argv():
    return sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]


_a = _argv()
sys.path.insert(0, _a[_a.index("--sampler-dir") + 1])
import clevr_sampler as S  # noqa: E402  (plain module, no scenelang import)

LAMPS = ("Lamp_Key", "Lamp_Back", "Lamp_Fill")
FLAT_LEVELS = (0.0, 0.5, 1.0)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="clevr_render.py")
    p.add_argument("--sampler-dir", required=True)
    p.add_argument("--assets", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=1)
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--min-pixels", type=int, default=200)
    p.add_argument("--no-cube-sqrt2", action="store_true")
    p.add_argument("--skip-existing", action="store_true")
    p.add_argument("--min-objects", type=int, default=3)
    p.add_argument("--max-objects", type=int, default=10)
    return p.parse_args(argv)


class Renderer:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.assets = Path(args.assets)
        self.properties = S.load_properties(self.assets)
        bpy.ops.wm.open_mainfile(filepath=str(self.assets / "base_scene.blend"))
        self.scene = bpy.context.scene
        self.camera = bpy.data.objects["Camera"]
        self.base = {name: tuple(bpy.data.objects[name].location) for name in ("Camera", *LAMPS)}
        for file_name in self.properties["materials"].values():
            if file_name not in bpy.data.node_groups:
                bpy.ops.wm.append(directory=str(self.assets / "materials" / f"{file_name}.blend"
                                                / "NodeTree") + "/", filename=file_name)
        self.meshes = {}
        for file_name in self.properties["shapes"].values():
            bpy.ops.wm.append(directory=str(self.assets / "shapes" / f"{file_name}.blend"
                                            / "Object") + "/", filename=file_name)
            ob = bpy.data.objects[file_name]
            mesh = ob.data
            mesh.use_fake_user = True
            bpy.data.objects.remove(ob, do_unlink=True)
            self.meshes[file_name] = mesh
        self.objects: list = []
        self._settings()

    # ------------------------------------------------------------------ settings
    def _settings(self) -> None:
        sc, a = self.scene, self.args
        r = sc.render
        r.engine = "CYCLES"
        r.resolution_x, r.resolution_y, r.resolution_percentage = a.width, a.height, 100
        r.image_settings.file_format = "PNG"
        r.image_settings.color_mode = "RGB"
        if a.threads > 0:
            r.threads_mode, r.threads = "FIXED", a.threads
        c = sc.cycles
        c.device = "CPU"
        c.samples = a.samples
        c.blur_glossy = 2.0
        c.transparent_max_bounces = 8
        c.use_denoising = False
        sc.view_settings.view_transform = "Standard"

    # ------------------------------------------------------------------ building
    def reset(self) -> None:
        for ob in self.objects:
            mesh = ob.data
            mats = [m for m in mesh.materials if m is not None]
            bpy.data.objects.remove(ob, do_unlink=True)
            bpy.data.meshes.remove(mesh)
            for m in mats:
                if m.users == 0:
                    bpy.data.materials.remove(m)
        self.objects = []
        for name, loc in self.base.items():
            bpy.data.objects[name].location = loc

    def build(self, scene: S.ClevrScene) -> None:
        """Place `scene`'s camera, lamps and objects (the generator's add_object/add_material)."""
        self.reset()
        self.camera.location = scene.camera_location
        for name, j in scene.lamp_jitter.items():
            bpy.data.objects[name].location = tuple(b + d for b, d in zip(self.base[name], j))
        groups = self.properties["materials"]
        colours = self.properties["colors"]
        for k, o in enumerate(scene.objects):
            ob = bpy.data.objects.new(f"{o.blend_object}_{k}", self.meshes[o.blend_object].copy())
            self.scene.collection.objects.link(ob)
            ob.rotation_euler = (0.0, 0.0, math.radians(o.rotation))
            ob.scale = (o.scale,) * 3
            ob.location = o.coords
            mat = bpy.data.materials.new(f"Material_{k}")
            nt = mat.node_tree
            for node in list(nt.nodes):
                if node.bl_idname != "ShaderNodeOutputMaterial":
                    nt.nodes.remove(node)
            out = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
            group = nt.nodes.new("ShaderNodeGroup")
            group.node_tree = bpy.data.node_groups[groups[o.material]]
            group.inputs["Color"].default_value = [c / 255.0 for c in colours[o.color]] + [1.0]
            nt.links.new(group.outputs["Shader"], out.inputs["Surface"])
            ob.data.materials.clear()
            ob.data.materials.append(mat)
            self.objects.append(ob)
        bpy.context.view_layer.update()

    # ------------------------------------------------------------------ visibility
    def visible_counts(self) -> list[int]:
        """Visible pixels per object from a flat 1-sample render (ground and lamps hidden)."""
        sc, c, r = self.scene, self.scene.cycles, self.scene.render
        n = len(self.objects)
        palette = [(a, b, d) for a in FLAT_LEVELS for b in FLAT_LEVELS for d in FLAT_LEVELS][1:]
        if n > len(palette):
            raise RuntimeError("too many objects for the flat palette")
        saved = dict(samples=c.samples, max_bounces=c.max_bounces, filter=r.filter_size,
                     seed=c.seed, adaptive=c.use_adaptive_sampling)
        hidden = [bpy.data.objects[name] for name in ("Ground", *LAMPS, "Area")]
        old_mats = []
        flats = []
        bg = sc.world.node_tree.nodes.get("Background") if sc.world else None
        old_strength = bg.inputs["Strength"].default_value if bg else None
        try:
            for ob in hidden:
                ob.hide_render = True
            if bg:
                bg.inputs["Strength"].default_value = 0.0
            for k, ob in enumerate(self.objects):
                mat = bpy.data.materials.new(f"flat_{k}")
                nt = mat.node_tree
                for node in list(nt.nodes):
                    if node.bl_idname != "ShaderNodeOutputMaterial":
                        nt.nodes.remove(node)
                em = nt.nodes.new("ShaderNodeEmission")
                em.inputs["Color"].default_value = (*palette[k], 1.0)
                em.inputs["Strength"].default_value = 1.0
                out = next(x for x in nt.nodes if x.bl_idname == "ShaderNodeOutputMaterial")
                nt.links.new(em.outputs["Emission"], out.inputs["Surface"])
                flats.append(mat)
                old_mats.append(ob.data.materials[0])
                ob.data.materials[0] = mat
            c.samples, c.max_bounces, c.seed, c.use_adaptive_sampling = 1, 0, 0, False
            r.filter_size = 0.01
            with tempfile.TemporaryDirectory(prefix="clevr-flat-") as tmp:
                path = os.path.join(tmp, "flat.png")
                r.filepath = path
                bpy.ops.render.render(write_still=True)
                img = bpy.data.images.load(path)
                px = np.empty(len(img.pixels), dtype=np.float32)
                img.pixels.foreach_get(px)
                bpy.data.images.remove(img)
        finally:
            for ob, m in zip(self.objects, old_mats):
                ob.data.materials[0] = m
            for m in flats:
                bpy.data.materials.remove(m)
            for ob in hidden:
                ob.hide_render = False
            if bg:
                bg.inputs["Strength"].default_value = old_strength
            c.samples, c.max_bounces, c.seed = saved["samples"], saved["max_bounces"], saved["seed"]
            c.use_adaptive_sampling = saved["adaptive"]
            r.filter_size = saved["filter"]
        rgb = px.reshape(-1, 4)[:, :3]
        # PNG values are sRGB-encoded: map the linear palette through the same curve
        targets = np.array([(0.0, 0.0, 0.0)] + palette[:n])
        enc = np.where(targets <= 0.0031308, targets * 12.92, 1.055 * targets ** (1 / 2.4) - 0.055)
        label = np.argmin(((rgb[:, None, :] - enc[None]) ** 2).sum(axis=2), axis=1)
        counts = np.bincount(label, minlength=n + 1)
        # rows bottom-up in Blender: flip to top-down; 0 = background, k + 1 = object k
        self.labels = label.reshape(r.resolution_y, r.resolution_x)[::-1]
        return [int(v) for v in counts[1:]]

    def save_mask(self, path: Path) -> None:
        """The accepted flat render's labels as an 8-bit grey PNG (value k + 1 = object k)."""
        h, w = self.labels.shape
        img = bpy.data.images.new("clevr_mask", w, h, alpha=False)
        img.colorspace_settings.name = "Non-Color"
        grey = (self.labels[::-1].astype(np.float32) / 255.0).reshape(-1)
        rgba = np.ones((grey.size, 4), dtype=np.float32)
        rgba[:, 0] = rgba[:, 1] = rgba[:, 2] = grey
        img.pixels.foreach_set(rgba.reshape(-1))
        img.filepath_raw = str(path)
        img.file_format = "PNG"
        img.save()
        bpy.data.images.remove(img)

    def check(self, scene: S.ClevrScene) -> bool:
        self.build(scene)
        counts = self.visible_counts()
        scene.extra["visible_pixels"] = counts
        self._checks += 1
        return min(counts) >= self.args.min_pixels

    # ------------------------------------------------------------------ one scene
    def render(self, seed: int, folder: Path) -> dict:
        a = self.args
        t0 = time.perf_counter()
        self._checks = 0
        scene = S.sample_scene(seed, self.properties, visible=self.check,
                               base_camera=self.base["Camera"], size=(a.width, a.height),
                               cube_sqrt2=not a.no_cube_sqrt2, min_objects=a.min_objects,
                               max_objects=a.max_objects)
        t1 = time.perf_counter()
        sc = self.scene
        bpy.context.view_layer.update()
        w, h = a.width, a.height
        for o, ob in zip(scene.objects, self.objects):
            x, y, z = world_to_camera_view(sc, self.camera, Vector(o.coords))
            o.pixel_coords = (int(round(x * w)), int(round(h - y * h)), float(z))
        mw = self.camera.matrix_world
        cam = {"location": [float(v) for v in mw.translation],
               "rotation_matrix": [[float(mw[i][j]) for j in range(3)] for i in range(3)],
               "look_at": [0.0, 0.0, 0.0], "lens_mm": float(self.camera.data.lens),
               "sensor_width_mm": float(self.camera.data.sensor_width),
               "sensor_fit": self.camera.data.sensor_fit, "resolution": [w, h]}
        sc.cycles.seed = seed % (2 ** 31)
        folder.mkdir(parents=True, exist_ok=True)
        sc.render.filepath = str(folder / "target.png")
        bpy.ops.render.render(write_still=True)
        t2 = time.perf_counter()
        data = scene.to_json()
        data.update(camera=cam, image_size=[w, h], samples=a.samples,
                    lamps={name: [float(v) for v in bpy.data.objects[name].location]
                           for name in LAMPS},
                    seconds={"sampling_and_visibility": t1 - t0, "render": t2 - t1},
                    visibility_checks=self._checks, min_pixels=a.min_pixels,
                    cube_sqrt2=not a.no_cube_sqrt2)
        self.save_mask(folder / "mask.png")
        (folder / "scene.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return {"seed": seed, "folder": str(folder), "objects": len(scene.objects),
                "seconds": t2 - t0, "checks": self._checks}


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    renderer = Renderer(args)
    for i in range(args.n):
        seed = args.seed + i
        folder = out / f"scene{seed:03d}"
        if args.skip_existing and (folder / "target.png").is_file() and (folder / "scene.json").is_file():
            print(json.dumps({"seed": seed, "folder": str(folder), "skipped": True}), flush=True)
            continue
        info = renderer.render(seed, folder)
        print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main(_argv())
'''


def write_script(folder: str | Path) -> Path:
    """Write `SCRIPT` to `folder/clevr_render_script.py`; returns its path."""
    path = Path(folder) / "clevr_render_script.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


SAMPLER_DIR = Path(__file__).resolve().parent
"""The folder of `clevr_sampler.py` (the script's `--sampler-dir`)."""
