"""The scene in a compiled script: object placement, materials, lights, world and camera.

Inlined into every compiled bpy script (see `scenelang.compiler.runtime`); runs inside Blender.
"""

import math

from scenelang.compiler.runtime.generated import Vector, bpy
from scenelang.compiler.runtime.meshes import UV_MATERIALS, ensure_uv, new_object, trs


def rgba(color, alpha=1.0):
    return (color[0], color[1], color[2], alpha)


def place(obj, at, rotate, scale):
    """Object transform: scale, then rotate (Euler XYZ, degrees), then move to `at`."""
    obj.location = at
    obj.rotation_mode = 'XYZ'
    obj.rotation_euler = (math.radians(rotate[0]), math.radians(rotate[1]), math.radians(rotate[2]))
    obj.scale = scale


def attach(obj, parent, matrix=None):
    """Parent `obj` to the Empty `parent` (a group or array), keeping `obj`'s transform relative
    to it; `matrix` (an array element's step times its transform) becomes that transform."""
    if parent is not None:
        obj.parent = parent  # the parent inverse stays identity: the transform is local
    if matrix is not None:
        obj.matrix_basis = matrix


def array_step(index, count, offset, around, angle, at, rotate, scale):
    """Element `index` (from 0) of an array: its transform `at`/`rotate`/`scale` (degrees), then
    moved by index * offset, or turned by index * angle / count degrees about the z axis through
    `around` (scenelang.placement.array_step computes the same for the preview)."""
    if offset is not None:
        moved = (at[0] + index * offset[0], at[1] + index * offset[1], at[2] + index * offset[2])
        return trs(at=moved, rotate=rotate, scale=scale)
    theta = index * angle / count
    c = math.cos(math.radians(theta))
    s = math.sin(math.radians(theta))
    px, py = at[0] - around[0], at[1] - around[1]
    turned = (around[0] + c * px - s * py, around[1] + s * px + c * py, at[2])
    return trs(at=turned, rotate=(rotate[0], rotate[1], rotate[2] + theta), scale=scale)


def repeat(ctx, name, parent, count, offset, around, angle, at, rotate, scale, build):
    """`count` elements `name_1` .. `name_N`, each built by `build(ctx, name, parent, step)`."""
    for index in range(count):
        step = array_step(index, count, offset, around, angle, at, rotate, scale)
        build(ctx, name + '_' + str(index + 1), parent, step)


def set_material(obj, material):
    """Link the material to the object (not the shared mesh), so instances can differ."""
    slot = obj.material_slots[0]
    slot.link = 'OBJECT'
    slot.material = material
    if material is not None and material.name in UV_MATERIALS:
        ensure_uv(obj.data)


def aim(obj, direction=None, look_at=None):
    """Rotate `obj` so its -Z axis points along `direction`, or towards `look_at`."""
    if look_at is not None:
        vector = Vector(look_at) - obj.location
    elif direction is not None:
        vector = Vector(direction)
    else:
        vector = Vector((0.0, 0.0, -1.0))
    if vector.length < 1e-9:
        vector = Vector((0.0, 0.0, -1.0))
    obj.rotation_mode = 'XYZ'
    obj.rotation_euler = vector.to_track_quat('-Z', 'Y').to_euler('XYZ')


def principled(name, base_color, metallic, roughness, ior, specular, transmission,
               emission_color, emission_strength, alpha):
    """A material with one Principled BSDF (Blender 5.0 socket names); colours are linear RGB.
    (`runtime/textures.py` plugs textures into it afterwards; `base_color` and `roughness` are
    then their mean values, what the viewport shows.)"""
    material = bpy.data.materials.new(name)
    material.use_fake_user = True  # kept in the .blend even when no object uses it
    tree = material.node_tree
    tree.nodes.clear()
    bsdf = tree.nodes.new('ShaderNodeBsdfPrincipled')
    output = tree.nodes.new('ShaderNodeOutputMaterial')
    bsdf.location = (-300.0, 0.0)
    tree.links.new(bsdf.outputs['BSDF'], output.inputs['Surface'])
    inputs = bsdf.inputs
    inputs['Base Color'].default_value = rgba(base_color)
    inputs['Metallic'].default_value = metallic
    inputs['Roughness'].default_value = roughness
    inputs['IOR'].default_value = ior
    inputs['Specular IOR Level'].default_value = specular
    inputs['Transmission Weight'].default_value = transmission
    inputs['Emission Color'].default_value = rgba(emission_color)
    inputs['Emission Strength'].default_value = emission_strength
    inputs['Alpha'].default_value = alpha
    # what Workbench previews and the viewport show
    material.diffuse_color = rgba(base_color, alpha)
    material.metallic = metallic
    material.roughness = roughness
    return material


def new_light(ctx, name, kind, energy, color, at=(0.0, 0.0, 0.0)):
    light = bpy.data.lights.new(name, kind)
    light.energy = energy
    light.color = color
    obj = new_object(ctx, name, light)
    obj.location = at
    return obj


def sun(ctx, name, direction, energy, color, angle):
    """Parallel light travelling along `direction`; energy in W/m^2, angle in degrees."""
    obj = new_light(ctx, name, 'SUN', energy, color)
    obj.data.angle = math.radians(angle)
    aim(obj, direction=direction)
    return obj


def point(ctx, name, at, energy, color, radius):
    obj = new_light(ctx, name, 'POINT', energy, color, at)
    obj.data.shadow_soft_size = radius
    return obj


def spot(ctx, name, at, direction, look_at, energy, color, radius, spot_size, blend):
    obj = new_light(ctx, name, 'SPOT', energy, color, at)
    obj.data.shadow_soft_size = radius
    obj.data.spot_size = math.radians(spot_size)
    obj.data.spot_blend = blend
    aim(obj, direction=direction, look_at=look_at)
    return obj


def area(ctx, name, at, direction, look_at, energy, color, size, size_y, shape):
    obj = new_light(ctx, name, 'AREA', energy, color, at)
    obj.data.shape = shape
    obj.data.size = size
    obj.data.size_y = size if size_y is None else size_y
    aim(obj, direction=direction, look_at=look_at)
    return obj


def world(name, color, strength):
    """The background: a Background shader of `color` (linear RGB) at `strength`."""
    data = bpy.data.worlds.new(name)
    tree = data.node_tree
    tree.nodes.clear()
    background = tree.nodes.new('ShaderNodeBackground')
    output = tree.nodes.new('ShaderNodeOutputWorld')
    background.location = (-300.0, 0.0)
    tree.links.new(background.outputs['Background'], output.inputs['Surface'])
    background.inputs['Color'].default_value = rgba(color)
    background.inputs['Strength'].default_value = strength
    data.color = color
    bpy.context.scene.world = data
    return data


def camera(ctx, name, at, look_at, rotate, lens, fov, sensor):
    """The scene camera: lens in mm, or fov in degrees across the larger image side.

    Sensor fit stays AUTO (the sensor width spans the larger image side) and the clip range
    stays Blender's default (0.1 m .. 1000 m), the model scenelang.backends.camera follows.
    """
    data = bpy.data.cameras.new(name)
    data.sensor_fit = 'AUTO'
    data.sensor_width = sensor
    if fov is not None:
        data.angle = math.radians(fov)
    else:
        data.lens = lens
    obj = new_object(ctx, name, data)
    obj.location = at
    if rotate is not None:
        obj.rotation_mode = 'XYZ'
        obj.rotation_euler = (math.radians(rotate[0]), math.radians(rotate[1]),
                              math.radians(rotate[2]))
    else:
        aim(obj, look_at=look_at)
    bpy.context.scene.camera = obj
    return obj
