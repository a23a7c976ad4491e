"""The script that renders object silhouettes in Blender for the preview-vs-Blender tests.

Run as `python -c SCRIPT JOBS`: JOBS is a JSON list of {script, size, hide, png}; each compiled
scene script is run with the Workbench engine, the named objects hidden, a transparent film and
no anti-aliasing, and the RGBA render written to `png`.
"""

BLENDER_SILHOUETTES = r"""
import json, runpy, sys
import bpy
for job in json.loads(sys.argv[-1]):
    namespace = runpy.run_path(job["script"])
    width, height = job["size"]
    namespace["main"](["--size", str(width), str(height), "--engine", "BLENDER_WORKBENCH"])
    for name in job["hide"]:
        bpy.data.objects[name].hide_render = True
    scene = bpy.context.scene
    scene.render.film_transparent = True
    scene.render.image_settings.color_mode = "RGBA"
    scene.display.render_aa = "OFF"
    scene.render.filepath = job["png"]
    bpy.ops.render.render(write_still=True)
"""
