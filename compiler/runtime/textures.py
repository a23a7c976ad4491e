"""Textures in a compiled script: shader nodes for `texture` statements, plugged into a material.

Inlined into every compiled bpy script (see `scenelang.compiler.runtime`); runs inside Blender
5.0, inlined only into scripts of scenes with textures. A texture arrives as a plain dict from
`texture_spec(kind, params)` (colours linear RGB,
lengths in metres, image paths absolute and already checked by the compiler). Procedural
textures read Object coordinates; noise, wave and gradient turn their factor into colour with a
two-stop colour ramp (`color1` at 0, `color2` at 1); checker and brick use their own colour
inputs. A texture plugged into roughness or bump gives its grey value (Blender's implicit
colour-to-number conversion, the luminance of the linear colour).
"""

import math

from scenelang.compiler.runtime.generated import bpy
from scenelang.compiler.runtime.meshes import UV_MATERIALS

WAVE_UNIT = 2.0 * math.pi / 20.0  # Blender's wave has a period of 2*pi/20 per unit of its scale
BUMP_DISTANCE = 0.02  # metres of height a grey value of 1 stands for, times bump_strength


def texture_spec(kind, params):
    """One texture as data: `{'kind': kind, ...params}`."""
    spec = dict(params)
    spec['kind'] = kind
    return spec


def rgba4(color):
    return (color[0], color[1], color[2], 1.0)


def ramp(tree, fac, color1, color2):
    """A colour ramp from `color1` (factor 0) to `color2` (factor 1) fed by socket `fac`."""
    node = tree.nodes.new('ShaderNodeValToRGB')
    elements = node.color_ramp.elements
    elements[0].color = rgba4(color1)
    elements[1].color = rgba4(color2)
    tree.links.new(fac, node.inputs['Fac'])
    return node.outputs['Color']


def texture_nodes(tree, spec):
    """The nodes of one texture in material node tree `tree`; returns its colour output socket."""
    nodes = tree.nodes
    links = tree.links
    kind = spec['kind']
    coords = nodes.new('ShaderNodeTexCoord')
    vector = coords.outputs['Object']
    if kind == 'image':
        mapping = nodes.new('ShaderNodeMapping')
        scale = spec['scale']
        mapping.inputs['Scale'].default_value = (scale, scale, scale)
        node = nodes.new('ShaderNodeTexImage')
        node.image = bpy.data.images.load(spec['path'], check_existing=True)
        node.extension = 'REPEAT'
        if spec['mapping'] == 'box':
            node.projection = 'BOX'
        else:
            vector = coords.outputs['UV']
        links.new(vector, mapping.inputs['Vector'])
        links.new(mapping.outputs['Vector'], node.inputs['Vector'])
        return node.outputs['Color']
    if kind == 'gradient':
        # object axis -> x, then (x - start) / (end - start): Mapping computes R @ (S * v) + L
        mapping = nodes.new('ShaderNodeMapping')
        turn = {'x': (0.0, 0.0, 0.0), 'y': (0.0, 0.0, -math.pi / 2), 'z': (0.0, math.pi / 2, 0.0)}
        length = spec['end'] - spec['start']
        mapping.inputs['Rotation'].default_value = turn[spec['axis']]
        mapping.inputs['Scale'].default_value = (1.0 / length, 1.0 / length, 1.0 / length)
        mapping.inputs['Location'].default_value = (-spec['start'] / length, 0.0, 0.0)
        links.new(vector, mapping.inputs['Vector'])
        node = nodes.new('ShaderNodeTexGradient')
        node.gradient_type = 'EASING' if spec['ease'] == 'easing' else 'LINEAR'
        links.new(mapping.outputs['Vector'], node.inputs['Vector'])
        return ramp(tree, node.outputs['Fac'], spec['color1'], spec['color2'])
    if kind == 'checker':
        node = nodes.new('ShaderNodeTexChecker')
        node.inputs['Color1'].default_value = rgba4(spec['color1'])
        node.inputs['Color2'].default_value = rgba4(spec['color2'])
        node.inputs['Scale'].default_value = spec['scale']
        links.new(vector, node.inputs['Vector'])
        return node.outputs['Color']
    if kind == 'brick':
        node = nodes.new('ShaderNodeTexBrick')
        node.inputs['Color1'].default_value = rgba4(spec['color1'])
        node.inputs['Color2'].default_value = rgba4(spec['color2'])
        node.inputs['Mortar'].default_value = rgba4(spec['mortar'])
        node.inputs['Scale'].default_value = spec['scale']
        node.inputs['Mortar Size'].default_value = spec['mortar_size']
        node.inputs['Brick Width'].default_value = spec['brick_width']
        node.inputs['Row Height'].default_value = spec['row_height']
        if spec['plane'] == 'xz':  # (x, y, z) -> (x, z, -y): rows along the object's z
            mapping = nodes.new('ShaderNodeMapping')
            mapping.inputs['Rotation'].default_value = (-math.pi / 2, 0.0, 0.0)
            links.new(vector, mapping.inputs['Vector'])
            vector = mapping.outputs['Vector']
        links.new(vector, node.inputs['Vector'])
        return node.outputs['Color']
    if kind == 'noise':
        node = nodes.new('ShaderNodeTexNoise')
        node.noise_dimensions = '3D'
        node.inputs['Scale'].default_value = spec['scale']
        node.inputs['Detail'].default_value = spec['detail']
        node.inputs['Roughness'].default_value = spec['roughness']
        node.inputs['Distortion'].default_value = spec['distortion']
        links.new(vector, node.inputs['Vector'])
        return ramp(tree, node.outputs['Fac'], spec['color1'], spec['color2'])
    # wave, the last kind (the compiler emits no other)
    node = nodes.new('ShaderNodeTexWave')
    axis = {'x': 'X', 'y': 'Y', 'z': 'Z'}[spec['axis']]
    if spec['pattern'] == 'rings':
        node.wave_type = 'RINGS'
        node.rings_direction = axis
    else:
        node.wave_type = 'BANDS'
        node.bands_direction = axis
    node.wave_profile = {'sine': 'SIN', 'saw': 'SAW', 'triangle': 'TRI'}[spec['profile']]
    node.inputs['Scale'].default_value = spec['scale'] * WAVE_UNIT
    node.inputs['Distortion'].default_value = spec['distortion']
    links.new(vector, node.inputs['Vector'])
    return ramp(tree, node.outputs['Fac'], spec['color1'], spec['color2'])


def texture_socket(tree, spec, built):
    """The colour output of `spec` in `tree`, its nodes made on first use (`built`: a list of
    (spec, socket) pairs), so a texture used twice in one material is built once."""
    for seen, output in built:
        if seen is spec:
            return output
    output = texture_nodes(tree, spec)
    built.append((spec, output))
    return output


def plug_textures(material, base=None, roughness=None, bump=None, bump_strength=0.5):
    """Connect texture specs to the Principled BSDF of `material` (made by `principled`): base
    colour, roughness (grey value) and a Bump node (grey value as height)."""
    tree = material.node_tree
    bsdf = None
    for node in tree.nodes:
        if node.type == 'BSDF_PRINCIPLED':
            bsdf = node
    built = []
    if base is not None:
        tree.links.new(texture_socket(tree, base, built), bsdf.inputs['Base Color'])
    if roughness is not None:
        tree.links.new(texture_socket(tree, roughness, built), bsdf.inputs['Roughness'])
    if bump is not None:
        node = tree.nodes.new('ShaderNodeBump')
        node.inputs['Strength'].default_value = bump_strength
        node.inputs['Distance'].default_value = BUMP_DISTANCE
        tree.links.new(texture_socket(tree, bump, built), node.inputs['Height'])
        tree.links.new(node.outputs['Normal'], bsdf.inputs['Normal'])
    if any(spec['kind'] == 'image' and spec['mapping'] == 'uv' for spec, _ in built):
        UV_MATERIALS.append(material.name)
