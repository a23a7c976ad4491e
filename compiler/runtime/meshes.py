"""Meshes in a compiled script: transforms, primitives into bmesh, smoothing, CSG operands.

Inlined into every compiled bpy script (see `scenelang.compiler.runtime`); runs inside Blender.
"""

import math

from scenelang.compiler.runtime.generated import Euler, Matrix, Vector, bmesh, bpy
from scenelang.compiler.runtime.primitives import PRIMITIVES

IDENTITY = Matrix.Identity(4)
WARNING_PREFIX = 'scenelang-warning:'
UV_MATERIALS = []  # materials with a uv-mapped image texture (runtime/textures.py): their meshes need a UV map


def warn(message):
    """Report a problem that does not stop the render (the runner collects these lines)."""
    print(WARNING_PREFIX, message)


def trs(at=(0.0, 0.0, 0.0), rotate=(0.0, 0.0, 0.0), scale=(1.0, 1.0, 1.0)):
    """A 4x4 matrix that scales, then rotates (Euler XYZ, degrees), then translates."""
    euler = Euler((math.radians(rotate[0]), math.radians(rotate[1]), math.radians(rotate[2])), 'XYZ')
    return Matrix.LocRotScale(Vector(at), euler, Vector(scale))


def add_primitive(bm, kind, params, matrix=IDENTITY, slot=0):
    """Add primitive `kind` (a key of PRIMITIVES) built from `params`, transformed by `matrix`;
    its faces use material slot `slot` (0: the object's material; see `link_materials`)."""
    if kind == 'mesh':
        add_asset(bm, params['path'], matrix, slot)
        return
    build = PRIMITIVES[kind]
    vertices, faces = build(**params)
    verts = [bm.verts.new(matrix @ Vector(co)) for co in vertices]
    for face in faces:
        polygon = bm.faces.new([verts[i] for i in face])
        polygon.material_index = slot


BEVEL_SEGMENTS = 3
BEVEL_ANGLE = math.radians(30.0)


def add_bevel(obj, width):
    """A live Bevel modifier (after the object's Booleans): `width` metres, 3 segments, only
    edges sharper than 30 degrees, clamped so it cannot overlap itself."""
    modifier = obj.modifiers.new('bevel', 'BEVEL')
    modifier.width = width
    modifier.segments = BEVEL_SEGMENTS
    modifier.limit_method = 'ANGLE'
    modifier.angle_limit = BEVEL_ANGLE
    modifier.use_clamp_overlap = True
    return modifier


def add_asset(bm, path, matrix, slot):
    """Add the meshes of a checked asset file with Blender's own importer (glTF and OBJ turned
    Z-up by it), each in its file's placement, transformed by `matrix`; the imported objects
    (and any cameras or lights in the file) are removed again."""
    before = [obj.name for obj in bpy.data.objects]
    lower = path.lower()
    if lower.endswith(('.glb', '.gltf')):
        bpy.ops.import_scene.gltf(filepath=path)
    elif lower.endswith('.obj'):
        bpy.ops.wm.obj_import(filepath=path)
    elif lower.endswith('.stl'):
        bpy.ops.wm.stl_import(filepath=path)
    else:
        bpy.ops.wm.ply_import(filepath=path)
    imported = [obj for obj in bpy.data.objects if obj.name not in before]
    for obj in imported:
        if obj.type == 'MESH':
            mesh = obj.data.copy()
            mesh.transform(matrix @ obj.matrix_world)
            first = len(bm.faces)
            bm.from_mesh(mesh)
            bm.faces.ensure_lookup_table()
            for index in range(first, len(bm.faces)):
                bm.faces[index].material_index = slot
            bpy.data.meshes.remove(mesh)
    for obj in imported:
        data = obj.data if obj.type == 'MESH' else None
        bpy.data.objects.remove(obj)
        if data is not None and data.users == 0:
            bpy.data.meshes.remove(data)


def link_materials(ctx, obj, names):
    """Slots 1.. of `obj` hold the materials its shape's `material` clauses name (slot 0 is the
    object's own material); linked to the object like slot 0. A Boolean modifier keeps the
    operand faces' slot indices, so cut faces show the operand's material."""
    for index, name in enumerate(names):
        slot = obj.material_slots[index + 1]
        slot.link = 'OBJECT'
        slot.material = ctx['materials'][name]


SMOOTH_ANGLE = math.radians(40.0)


def smooth_by_angle(bm):
    """Smooth shading, with edges sharper than 40 degrees kept sharp (box edges, cylinder caps).

    Meshes that take part in CSG are shaded flat again by `add_operand`."""
    bm.normal_update()
    for face in bm.faces:
        face.smooth = True
    for edge in bm.edges:
        if not edge.is_manifold or edge.calc_face_angle(0.0) > SMOOTH_ANGLE:
            edge.smooth = False


def shade_flat(mesh):
    for polygon in mesh.polygons:
        polygon.use_smooth = False


def shared_mesh(ctx, name, build, slots=1):
    """The mesh `name`, built once by `build(bm)` and shared by every object of its shape, with
    `slots` empty material slots (materials are linked per object)."""
    meshes = ctx['meshes']
    if name not in meshes:
        bm = bmesh.new()
        build(bm)
        smooth_by_angle(bm)
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        for _ in range(slots):
            mesh.materials.append(None)
        meshes[name] = mesh
    return meshes[name]


def has_shear(matrix):
    """True when `matrix` is not location @ rotation @ scale (Blender would drop the shear)."""
    location, rotation, scale = matrix.decompose()
    rebuilt = Matrix.LocRotScale(location, rotation, scale)
    return any(abs(matrix[i][j] - rebuilt[i][j]) > 1e-6 for i in range(4) for j in range(4))


def new_object(ctx, name, data, collection='objects', parent=None, matrix=None):
    if matrix is not None and data is not None and has_shear(matrix):
        data = data.copy()  # bake the sheared transform into this object's own mesh
        data.name = name
        data.transform(matrix)
        matrix = IDENTITY
    obj = bpy.data.objects.new(name, data)
    ctx[collection].objects.link(obj)
    if parent is not None:
        obj.parent = parent  # the parent inverse stays identity: matrix is relative to parent
    if matrix is not None:
        obj.matrix_basis = matrix
    return obj


def add_operand(ctx, name, mesh, owner, matrix, operation):
    """A hidden helper object that `owner` combines with through a live Boolean modifier."""
    shade_flat(owner.data)  # new faces from a boolean would shade badly when smoothed
    shade_flat(mesh)
    helper = new_object(ctx, name, mesh, collection='operands', parent=owner, matrix=matrix)
    helper.display_type = 'WIRE'
    helper.hide_render = True
    modifier = owner.modifiers.new(name, 'BOOLEAN')
    modifier.operation = operation
    # Manifold agrees with the preview and export (manifold3d) and copes with coplanar faces;
    # Exact is kept for open meshes (planes), which Manifold refuses.
    modifier.solver = 'MANIFOLD' if is_closed(owner.data) and is_closed(mesh) else 'EXACT'
    modifier.object = helper
    ctx['operands_of'].setdefault(owner.name, []).append(helper)
    return helper


def is_closed(mesh):
    """True when every edge of `mesh` borders exactly two faces (a closed, manifold surface)."""
    bm = bmesh.new()
    bm.from_mesh(mesh)
    closed = len(bm.edges) > 0 and all(edge.is_manifold for edge in bm.edges)
    bm.free()
    return closed


def ensure_uv(mesh):
    """Give a mesh without a UV map one by box projection (1 UV unit per metre): each face
    projected along the axis its normal is closest to, oriented as Blender's box mapping (up to
    whole repeats), so `mapping=uv` on a primitive looks like `mapping=box`."""
    if len(mesh.uv_layers):
        return
    bm = bmesh.new()
    bm.from_mesh(mesh)
    layer = bm.loops.layers.uv.new('UVMap')
    for face in bm.faces:
        n = face.normal
        ax, ay, az = abs(n.x), abs(n.y), abs(n.z)
        for loop in face.loops:
            co = loop.vert.co
            if ax >= ay and ax >= az:
                loop[layer].uv = (co.y if n.x >= 0 else -co.y, co.z)
            elif ay >= az:
                loop[layer].uv = (-co.x if n.y >= 0 else co.x, co.z)
            else:
                loop[layer].uv = (-co.y if n.z >= 0 else co.y, co.x)
    bm.to_mesh(mesh)
    bm.free()
