"""One builder per primitive: plain vertex and face lists with Blender's layout.

Each builder takes the primitive's parameters (the fields of its AST model, transforms aside)
and returns `(vertices, faces)`: vertices as `(x, y, z)` float tuples, faces as tuples of vertex
indices, counter-clockwise seen from outside (n-gons allowed: cylinder and cone caps). Sizes and
layouts follow Blender's Add > Mesh primitives: circles start on +y and turn towards +x (vertex
`k` at `(r*sin(a), r*cos(a))`, `a = 2*pi*k/n`), shapes are centred at the origin, along z.

`PRIMITIVES` maps each primitive kind to its builder. The same module is inlined into every
compiled bpy script (which turns the lists into bmesh vertices and faces) and imported by the
preview (`scenelang.backends.meshes`, which fan-triangulates the faces), so Blender's meshes and
the preview's have the same vertices by construction. Keep it plain Python with `math` only:
the inlined copy must pass the compiled-script check (`scenelang.compiler.script_check`).
"""

import math


def circle(count, radius, z):
    """`count` points of a circle of `radius` at height `z`, from +y towards +x."""
    points = []
    for k in range(count):
        angle = 2.0 * math.pi * k / count
        points.append((radius * math.sin(angle), radius * math.cos(angle), z))
    return points


def box(size):
    """A box centred at the origin; `size` is its full extent along x, y, z."""
    x, y, z = size[0] / 2.0, size[1] / 2.0, size[2] / 2.0
    vertices = [(-x, -y, -z), (-x, -y, z), (-x, y, -z), (-x, y, z),
                (x, -y, -z), (x, -y, z), (x, y, -z), (x, y, z)]
    faces = [(0, 1, 3, 2), (2, 3, 7, 6), (6, 7, 5, 4), (4, 5, 1, 0), (2, 6, 4, 0), (7, 3, 1, 5)]
    return vertices, faces


def sphere(radius, segments, rings):
    """A UV sphere: the top pole, `rings - 1` rings from top to bottom, the bottom pole.

    Ring `i` lies at polar angle `pi*i/rings`; triangles at the poles, quads between rings.
    """
    vertices = [(0.0, 0.0, radius)]
    for i in range(1, rings):
        polar = math.pi * i / rings
        vertices += circle(segments, radius * math.sin(polar), radius * math.cos(polar))
    vertices.append((0.0, 0.0, -radius))
    bottom = len(vertices) - 1
    faces = []
    for k in range(segments):
        faces.append((1 + k, 0, 1 + (k + 1) % segments))
    for i in range(rings - 2):
        upper, lower = 1 + i * segments, 1 + (i + 1) * segments
        for k in range(segments):
            n = (k + 1) % segments
            faces.append((lower + k, upper + k, upper + n, lower + n))
    last = 1 + (rings - 2) * segments
    for k in range(segments):
        faces.append((bottom, last + k, last + (k + 1) % segments))
    return vertices, faces


def cone(radius, depth, top_radius, vertices):
    """A cone (single apex when `top_radius` is 0) or frustum along z, base at -depth/2.

    A frustum's rims alternate (base vertex k, then top vertex k), a cone's base rim is
    followed by the apex; caps are single n-gons.
    """
    n, half = vertices, depth / 2.0
    base = circle(n, radius, -half)
    if top_radius > 0.0:
        top = circle(n, top_radius, half)
        points = [p for k in range(n) for p in (base[k], top[k])]
        faces = [(2 * k, 2 * k + 1, 2 * ((k + 1) % n) + 1, 2 * ((k + 1) % n)) for k in range(n)]
        faces.append(tuple([3, 1] + [2 * k + 1 for k in range(n - 1, 1, -1)]))
        faces.append(tuple(2 * k for k in range(n)))
        return points, faces
    faces = [(k, n, (k + 1) % n) for k in range(n)]
    faces.append(tuple(range(n)))
    return base + [(0.0, 0.0, half)], faces


def cylinder(radius, depth, vertices):
    """A capped cylinder along z, centred at the origin."""
    return cone(radius, depth, radius, vertices)


def torus(major_radius, minor_radius, major_segments, minor_segments):
    """A torus in the xy plane: ring `i` of the tube at angle `2*pi*i/major_segments` from +x."""
    points = []
    for i in range(major_segments):
        turn = 2.0 * math.pi * i / major_segments
        for j in range(minor_segments):
            angle = 2.0 * math.pi * j / minor_segments
            distance = major_radius + math.cos(angle) * minor_radius
            points.append((math.cos(turn) * distance, math.sin(turn) * distance,
                           math.sin(angle) * minor_radius))
    faces = []
    for i in range(major_segments):
        below = i * minor_segments
        above = (i + 1) % major_segments * minor_segments
        for j in range(minor_segments):
            k = (j + 1) % minor_segments
            faces.append((below + j, above + j, above + k, below + k))
    return points, faces


def plane(size):
    """A square of side `size` in the xy plane, centred at the origin, facing +z."""
    h = size / 2.0
    return [(-h, -h, 0.0), (h, -h, 0.0), (-h, h, 0.0), (h, h, 0.0)], [(0, 1, 3, 2)]


# The registry: one entry per primitive kind (`scenelang.ast.PRIMITIVES` holds the models).
PRIMITIVES = {
    'box': box,
    'sphere': sphere,
    'cylinder': cylinder,
    'cone': cone,
    'torus': torus,
    'plane': plane,
}
