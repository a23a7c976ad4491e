"""Inside Blender: describe open .blend files as plain JSON (for `scenelang import`).

Fixed project code, run by `scenelang.backends.importers.blend` through the runner (a fresh
Blender subprocess with a clean environment and a timeout), never generated from file content:

    python scan.py OUT.json A.blend [B.blend ...]                 (the bpy wheel)
    blender -b --factory-startup --python scan.py -- OUT.json A.blend ...

For each .blend it writes one entry `{"file", "ok", "error" | scene}` to OUT.json. A scene is
plain data, nothing interpreted here: objects (type, matrices, local transform, parent,
visibility, material and every slot's material, modifiers), meshes (vertex coordinates,
polygons and the material indices they use, up to `MAX_VERTICES` vertices), materials (the
Principled BSDF's inputs, or what stands in for it, and the node chains that drive its base
colour, roughness and normal), lights, the camera, the world and the
render size; the collections Empties instance (their instance offset and objects; objects only
such a collection holds are listed too, with `in_scene` false). Units are Blender's: metres, radians, mm.
The importer (`scenelang.backends.importers`) turns it into a scene, outside Blender.
"""

import base64
import json
import sys

import bpy

MAX_VERTICES = 70000
"""Meshes with more vertices are described without their vertices (no primitive is that big,
and a mesh asset that large is skipped by the importer)."""

PRINCIPLED_INPUTS = {
    'base_color': 'Base Color', 'metallic': 'Metallic', 'roughness': 'Roughness', 'ior': 'IOR',
    'specular': 'Specular IOR Level', 'transmission': 'Transmission Weight',
    'emission_color': 'Emission Color', 'emission_strength': 'Emission Strength', 'alpha': 'Alpha',
}


def matrix(m):
    return [list(row) for row in m]


def value(socket):
    v = socket.default_value
    try:
        return list(v)
    except TypeError:
        return float(v)


def active_output(tree, kind):
    outputs = [n for n in tree.nodes if n.bl_idname == kind]
    for node in outputs:
        if node.is_active_output:
            return node
    return outputs[0] if outputs else None


def surface_node(tree, kind, socket='Surface'):
    output = active_output(tree, kind)
    if output is None or not output.inputs[socket].is_linked:
        return None
    return output.inputs[socket].links[0].from_node


NODE_PROPERTIES = ('wave_type', 'bands_direction', 'rings_direction', 'wave_profile',
                   'gradient_type', 'noise_dimensions', 'noise_type', 'projection', 'extension',
                   'vector_type', 'interpolation', 'invert', 'data_type', 'blend_type',
                   'normalize', 'offset', 'offset_frequency', 'squash', 'squash_frequency')
"""Node settings (not sockets) copied into a node's description when the node has them."""
MAX_PACKED_IMAGE_BYTES = 20 * 1024 * 1024
"""A packed image larger than this (the language's image limit) is described without its bytes."""
MAX_NODE_DEPTH = 6
"""How far upstream of a Principled input the node chain is described."""


def jsonable(v):
    if isinstance(v, (bool, int, float, str)):
        return v
    try:
        v = list(v)
    except TypeError:
        return v if isinstance(v, (bool, int, float, str)) else None
    return [x if isinstance(x, (bool, int, float)) else None for x in v]


def node_entry(node, depth=0):
    """A node and what feeds it, as plain data: `{'type', 'properties', 'inputs': {socket:
    value | {'from': node, 'output': socket}}}` (plus the colour ramp's stops and an image's
    absolute path). Nothing is evaluated; the importer recognises what the language can say."""
    entry = {'type': node.bl_idname, 'name': node.name,
             'properties': {p: jsonable(getattr(node, p)) for p in NODE_PROPERTIES
                            if hasattr(node, p)}}
    if node.bl_idname == 'ShaderNodeValToRGB':
        entry['ramp'] = {'interpolation': node.color_ramp.interpolation,
                         'stops': [[e.position, list(e.color)] for e in node.color_ramp.elements]}
    if node.bl_idname == 'ShaderNodeTexImage' and node.image is not None:
        image = node.image
        entry['image'] = {'name': image.name, 'source': image.source,
                          'path': bpy.path.abspath(image.filepath, library=image.library)}
        packed = image.packed_file
        if packed is not None and packed.size <= MAX_PACKED_IMAGE_BYTES:
            entry['image']['packed'] = base64.b64encode(bytes(packed.data)).decode('ascii')
        elif packed is not None:
            entry['image']['packed_size'] = packed.size
    inputs = {}
    for socket in node.inputs:
        if not socket.enabled:
            continue
        if socket.is_linked and depth < MAX_NODE_DEPTH:
            link = socket.links[0]
            inputs[socket.name] = {'from': node_entry(link.from_node, depth + 1),
                                   'output': link.from_socket.name}
        elif socket.is_linked:
            inputs[socket.name] = {'from': None, 'output': None}
        elif hasattr(socket, 'default_value'):
            inputs[socket.name] = jsonable(socket.default_value)
    entry['inputs'] = inputs
    return entry


def linked_inputs(node):
    """What drives the Principled BSDF's base colour, roughness and normal (a bump), if linked."""
    found = {}
    for key, name in (('base_color', 'Base Color'), ('roughness', 'Roughness'), ('normal', 'Normal')):
        socket = node.inputs[name]
        if socket.is_linked:
            link = socket.links[0]
            found[key] = {'from': node_entry(link.from_node), 'output': link.from_socket.name}
    return found


def material_entry(material):
    entry = {'name': material.name, 'diffuse_color': list(material.diffuse_color),
             'metallic': material.metallic, 'roughness': material.roughness, 'surface': None}
    if material.node_tree is None:
        return entry
    node = surface_node(material.node_tree, 'ShaderNodeOutputMaterial')
    if node is None:
        return entry
    entry['surface'] = node.bl_idname
    if node.bl_idname == 'ShaderNodeBsdfPrincipled':
        entry['inputs'] = {key: value(node.inputs[name]) for key, name in PRINCIPLED_INPUTS.items()}
        entry['linked'] = [key for key, name in PRINCIPLED_INPUTS.items()
                           if node.inputs[name].is_linked]
        entry['drivers'] = linked_inputs(node)
    return entry


def mesh_entry(mesh):
    entry = {'name': mesh.name, 'vertex_count': len(mesh.vertices),
             'face_count': len(mesh.polygons)}
    if len(mesh.vertices) <= MAX_VERTICES:
        entry['vertices'] = [list(v.co) for v in mesh.vertices]
        entry['faces'] = [list(p.vertices) for p in mesh.polygons]
        entry['material_indices'] = sorted({p.material_index for p in mesh.polygons})
    return entry


def modifier_entry(modifier):
    entry = {'name': modifier.name, 'type': modifier.type, 'show_render': modifier.show_render}
    if modifier.type == 'BOOLEAN':
        entry['operation'] = modifier.operation
        entry['operand_type'] = modifier.operand_type
        entry['object'] = modifier.object.name if modifier.object else None
        collection = modifier.collection
        entry['collection'] = [o.name for o in collection.all_objects] if collection else []
    if modifier.type == 'BEVEL':
        entry.update(width=modifier.width, segments=modifier.segments,
                     limit_method=modifier.limit_method, angle_limit=modifier.angle_limit,
                     offset_type=modifier.offset_type, affect=modifier.affect,
                     use_clamp_overlap=modifier.use_clamp_overlap)
    return entry


def rendered_objects(scene):
    """Names of the objects that render: not hidden themselves, and in at least one collection
    of the scene's tree that is not hidden in renders (with all its parents)."""
    names = set()

    def walk(collection):
        if collection.hide_render:
            return
        names.update(o.name for o in collection.objects if not o.hide_render)
        for child in collection.children:
            walk(child)

    names.update(o.name for o in scene.collection.objects if not o.hide_render)
    for child in scene.collection.children:
        walk(child)
    return names


def object_entry(obj, rendered):
    entry = {
        'name': obj.name, 'type': obj.type, 'data': obj.data.name if obj.data else None,
        'matrix_world': matrix(obj.matrix_world), 'matrix_basis': matrix(obj.matrix_basis),
        'matrix_parent_inverse': matrix(obj.matrix_parent_inverse),
        'location': list(obj.location), 'rotation_mode': obj.rotation_mode,
        'rotation_euler': list(obj.rotation_euler), 'scale': list(obj.scale),
        'parent': obj.parent.name if obj.parent else None, 'parent_type': obj.parent_type,
        'renders': obj.name in rendered,
        'modifiers': [modifier_entry(m) for m in obj.modifiers],
        'material': None, 'material_slots': len(obj.material_slots),
        'slot_materials': [s.material.name if s.material else None for s in obj.material_slots],
    }
    if obj.type == 'EMPTY' and obj.instance_type == 'COLLECTION' and obj.instance_collection:
        entry['instances'] = obj.instance_collection.name
    if obj.material_slots and obj.material_slots[0].material is not None:
        entry['material'] = obj.material_slots[0].material.name
    if obj.type == 'LIGHT':
        light = obj.data
        entry['light'] = {'type': light.type, 'energy': light.energy, 'color': list(light.color),
                          'shadow_soft_size': light.shadow_soft_size}
        if light.type == 'SUN':
            entry['light']['angle'] = light.angle
        if light.type == 'SPOT':
            entry['light'].update(spot_size=light.spot_size, spot_blend=light.spot_blend)
        if light.type == 'AREA':
            entry['light'].update(shape=light.shape, size=light.size, size_y=light.size_y)
    if obj.type == 'CAMERA':
        cam = obj.data
        entry['camera'] = {'type': cam.type, 'lens': cam.lens, 'lens_unit': cam.lens_unit,
                           'sensor_width': cam.sensor_width, 'sensor_height': cam.sensor_height,
                           'sensor_fit': cam.sensor_fit, 'shift_x': cam.shift_x,
                           'shift_y': cam.shift_y}
    return entry


def world_entry(world):
    if world is None:
        return None
    entry = {'name': world.name, 'color': list(world.color), 'surface': None}
    if world.node_tree is not None:
        node = surface_node(world.node_tree, 'ShaderNodeOutputWorld')
        if node is not None:
            entry['surface'] = node.bl_idname
            if node.bl_idname == 'ShaderNodeBackground':
                entry['background'] = {'color': value(node.inputs['Color']),
                                       'strength': value(node.inputs['Strength']),
                                       'linked': node.inputs['Color'].is_linked}
    return entry


def instanced_collections(objects):
    """The collections Empties instance (nested ones included), with the objects the scene does
    not hold itself: `({name: {"offset", "objects"}}, [extra objects])`."""
    found, extra, seen = {}, [], {o.name for o in objects}
    pending = list(objects)
    while pending:
        obj = pending.pop(0)
        collection = obj.instance_collection if obj.instance_type == 'COLLECTION' else None
        if obj.type != 'EMPTY' or collection is None or collection.name in found:
            continue
        members = list(collection.all_objects)
        found[collection.name] = {'offset': list(collection.instance_offset),
                                  'objects': [o.name for o in members]}
        for member in members:
            if member.name not in seen:
                seen.add(member.name)
                extra.append(member)
                pending.append(member)
    return found, extra


def describe():
    scene = bpy.context.scene
    render = scene.render
    objects = list(scene.objects)
    rendered = rendered_objects(scene)
    collections, extra = instanced_collections(objects)
    rendered |= {o.name for o in extra if not o.hide_render}
    objects += extra
    meshes = {o.data.name: o.data for o in objects if o.type == 'MESH'}
    used_materials = {}
    for obj in objects:
        for slot in obj.material_slots:
            if slot.material is not None:
                used_materials[slot.material.name] = slot.material
    return {
        'scene': scene.name,
        'objects': [dict(object_entry(o, rendered), in_scene=i < len(objects) - len(extra))
                    for i, o in enumerate(objects)],
        'collections': collections,
        'meshes': [mesh_entry(m) for m in meshes.values()],
        'materials': [material_entry(m) for m in used_materials.values()],
        'camera': scene.camera.name if scene.camera else None,
        'world': world_entry(scene.world),
        'resolution': [render.resolution_x * render.resolution_percentage // 100,
                       render.resolution_y * render.resolution_percentage // 100],
    }


def scan(path):
    # a .blend may carry Python (text blocks run on load, drivers): never run it
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    try:
        bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    except (RuntimeError, OSError) as exc:
        return {'file': path, 'ok': False, 'error': str(exc).strip().splitlines()[-1][:300]}
    return {'file': path, 'ok': True, **describe()}


def main(argv):
    out, files = argv[0], argv[1:]
    results = [scan(path) for path in files]
    with open(out, 'w', encoding='utf-8') as handle:
        json.dump(results, handle)
    return 0


def script_args(argv):
    if '--' in argv:
        return argv[argv.index('--') + 1:]
    return argv[1:]


if __name__ == '__main__':
    sys.exit(main(script_args(sys.argv)))
