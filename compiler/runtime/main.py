"""Building, rendering and the entry point of a compiled script (`main(argv)`).

Inlined last into every compiled bpy script (see `scenelang.compiler.runtime`); runs inside
Blender. The settings and the `build_*` functions come from the script's templated part.
"""

import argparse
import sys

from scenelang.compiler.runtime.generated import (
    APPLY_CSG,
    DENOISE,
    DEVICE,
    ENGINE,
    EXPOSURE,
    FILM_TRANSPARENT,
    GAMMA,
    LOOK,
    RESOLUTION,
    SAMPLES,
    SEED,
    SOURCE,
    THREADS,
    VIEW_TRANSFORM,
    Vector,
    bpy,
    build_camera,
    build_lights,
    build_materials,
    build_objects,
)
from scenelang.compiler.runtime.meshes import warn
from scenelang.compiler.runtime.scene import set_material


def build_scene(reset=True):
    """Build everything; returns the build context.

    reset: start from an empty file (default, what `main` does). With reset=False the scene is
    built into the open file (the Blender add-on's File > Import): its objects go into a new
    collection named after the source, and its world and camera become the scene's.
    """
    if reset:
        bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    objects = scene.collection
    if not reset:
        objects = bpy.data.collections.new(SOURCE)
        scene.collection.children.link(objects)
    operands = bpy.data.collections.new('csg_operands')
    operands.hide_render = True
    objects.children.link(operands)
    ctx = {'objects': objects, 'operands': operands, 'meshes': {}, 'operands_of': {},
           'materials': {}, 'scene_objects': {}, 'lights': {}}
    build_materials(ctx)
    build_objects(ctx)
    build_lights(ctx)
    ctx['camera'] = build_camera(ctx)
    if APPLY_CSG:
        apply_csg(ctx)
    return ctx


def apply_csg(ctx):
    """Replace every object's Boolean modifiers by their result and delete the helpers."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    results = []
    for obj in ctx['scene_objects'].values():
        if obj.name in ctx['operands_of']:
            mesh = bpy.data.meshes.new_from_object(obj.evaluated_get(depsgraph))
            results.append((obj, mesh))
    for obj, mesh in results:
        name = obj.data.name
        materials = [slot.material for slot in obj.material_slots]
        obj.modifiers.clear()
        obj.data = mesh
        mesh.name = name
        while len(obj.material_slots) < max(1, len(materials)):
            mesh.materials.append(None)
        set_material(obj, materials[0] if materials else None)
        for index in range(1, len(materials)):  # per-operand materials (slots 1..)
            obj.material_slots[index].link = 'OBJECT'
            obj.material_slots[index].material = materials[index]
    for helpers in ctx['operands_of'].values():
        for helper in helpers:
            data = helper.data
            bpy.data.objects.remove(helper)
            if data.users == 0:
                bpy.data.meshes.remove(data)
    ctx['operands_of'].clear()


def report_warnings(ctx):
    """Warn about objects that are empty after CSG, behind the camera, or around the camera."""
    camera = ctx['camera']
    depsgraph = bpy.context.evaluated_depsgraph_get()
    eye = camera.matrix_world.translation
    forward = camera.matrix_world.to_3x3() @ Vector((0.0, 0.0, -1.0))
    for name, obj in ctx['scene_objects'].items():
        evaluated = obj.evaluated_get(depsgraph)
        if obj.name in ctx['operands_of']:
            mesh = evaluated.to_mesh()
            empty = len(mesh.vertices) == 0
            evaluated.to_mesh_clear()
            if empty:
                warn('object ' + name + ' is empty after CSG')
                continue
        corners = [evaluated.matrix_world @ Vector(corner) for corner in evaluated.bound_box]
        if all((corner - eye).dot(forward) <= 0.0 for corner in corners):
            warn('object ' + name + ' is behind the camera')
        local_eye = evaluated.matrix_world.inverted_safe() @ eye
        low = [min(corner[i] for corner in evaluated.bound_box) for i in range(3)]
        high = [max(corner[i] for corner in evaluated.bound_box) for i in range(3)]
        if all(low[i] < local_eye[i] < high[i] for i in range(3)):
            warn('the camera is inside the bounding box of object ' + name)


def configure_render(args):
    scene = bpy.context.scene
    render = scene.render
    render.engine = args.engine
    size = RESOLUTION if args.size is None else args.size
    render.resolution_x = size[0]
    render.resolution_y = size[1]
    render.resolution_percentage = 100
    render.film_transparent = FILM_TRANSPARENT
    if args.threads > 0:
        render.threads_mode = 'FIXED'
        render.threads = args.threads
    else:
        render.threads_mode = 'AUTO'
    render.image_settings.file_format = 'PNG'
    render.image_settings.color_mode = 'RGBA' if FILM_TRANSPARENT else 'RGB'
    scene.cycles.device = DEVICE
    scene.cycles.samples = args.samples
    scene.cycles.seed = args.seed
    scene.cycles.use_denoising = DENOISE
    scene.display.shading.light = 'STUDIO'
    scene.display.shading.color_type = 'MATERIAL'
    scene.display_settings.display_device = 'sRGB'
    scene.view_settings.view_transform = VIEW_TRANSFORM
    scene.view_settings.look = LOOK
    scene.view_settings.exposure = EXPOSURE
    scene.view_settings.gamma = GAMMA


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Build (and render) ' + SOURCE)
    parser.add_argument('--render', metavar='PNG', help='render the camera view to this PNG')
    parser.add_argument('--blend', metavar='FILE', help='save the scene to this .blend file')
    parser.add_argument('--samples', type=int, default=SAMPLES, help='Cycles samples')
    parser.add_argument('--size', type=int, nargs=2, metavar=('W', 'H'), default=None,
                        help='image size in pixels (default: the camera resolution)')
    parser.add_argument('--seed', type=int, default=SEED, help='Cycles noise seed')
    parser.add_argument('--engine', choices=('CYCLES', 'BLENDER_WORKBENCH'), default=ENGINE)
    parser.add_argument('--threads', type=int, default=THREADS, help='0 = one per core')
    return parser.parse_args(argv)


def pack_images():
    """Pack the image textures' files into the .blend, so a saved scene is complete on its own
    (another machine, `scenelang import`) without the files beside the scene."""
    for image in bpy.data.images:
        if image.source == 'FILE' and image.packed_file is None:
            image.pack()


def main(argv=None):
    """Build the scene, then save it (--blend) and render it (--render) as asked."""
    args = parse_args(argv)
    ctx = build_scene()
    configure_render(args)
    report_warnings(ctx)
    if args.blend:
        pack_images()
        bpy.ops.wm.save_as_mainfile(filepath=args.blend, check_existing=False)
    if args.render:
        bpy.context.scene.render.filepath = args.render
        bpy.ops.render.render(write_still=True)
    return 0


def script_args(argv):
    """The script's own arguments: those after `--`, or after the script name under plain python."""
    if '--' in argv:
        return argv[argv.index('--') + 1:]
    if '--python' in argv or '-P' in argv:
        return []
    return argv[1:]


if __name__ == '__main__':
    sys.exit(main(script_args(sys.argv)))
