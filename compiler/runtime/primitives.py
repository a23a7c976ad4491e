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


def profile_area(points):
    """Signed area of a closed 2D polygon (shoelace): positive when counter-clockwise."""
    n = len(points)
    return 0.5 * sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                     for i in range(n))


def revolve(profile, segments):
    """A lathe: each profile point `(r, z)` becomes a ring of `segments` vertices (a single
    vertex on the axis when r = 0), consecutive rings are joined by quads (triangles at the
    axis), and an end with r > 0 is capped with an n-gon. Faces face outwards whichever way the
    profile runs (its direction is read from the area it closes with the axis)."""
    n = segments
    points = []
    for p in profile:
        if not points or (p[0], p[1]) != points[-1]:
            points.append((p[0], p[1]))
    vertices, rings = [], []
    for r, z in points:
        if r > 0.0:
            rings.append(list(range(len(vertices), len(vertices) + n)))
            vertices += circle(n, r, z)
        else:
            rings.append([len(vertices)] * n)
            vertices.append((0.0, 0.0, z))
    faces = []
    for i in range(len(points) - 1):
        a, b = rings[i], rings[i + 1]
        if points[i][0] <= 0.0 and points[i + 1][0] <= 0.0:
            continue
        for k in range(n):
            m = (k + 1) % n
            quad = (a[k], b[k], b[m], a[m])
            face = tuple(v for j, v in enumerate(quad) if v != quad[j - 1])
            faces.append(face)
    if points and points[0][0] > 0.0:
        faces.append(tuple(rings[0]))
    if len(points) > 1 and points[-1][0] > 0.0:
        faces.append(tuple(rings[-1][::-1]))
    closed = points + [(0.0, points[-1][1]), (0.0, points[0][1])] if points else []
    if profile_area(closed) < 0.0:
        faces = [tuple(f[::-1]) for f in faces]
    return vertices, faces


def cross2(o, a, b):
    """z of the cross product (a - o) x (b - o) of 2D points: > 0 when o, a, b turn left."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def in_triangle(p, a, b, c):
    """Whether 2D point `p` lies in the counter-clockwise triangle abc (edges included)."""
    return cross2(a, b, p) >= 0.0 and cross2(b, c, p) >= 0.0 and cross2(c, a, p) >= 0.0


def triangulate_polygon(points):
    """Ear clipping of a simple counter-clockwise polygon: triangles as index triples.

    O(n^3) in the worst case, which is fine for the profile sizes the language allows."""
    index = list(range(len(points)))
    triangles = []
    while len(index) > 3:
        count, ear = len(index), -1
        for j in range(count):
            i0, i1, i2 = index[j - 1], index[j], index[(j + 1) % count]
            a, b, c = points[i0], points[i1], points[i2]
            if cross2(a, b, c) <= 0.0:
                continue
            if any(in_triangle(points[q], a, b, c) for q in index
                   if q not in (i0, i1, i2) and points[q] not in (a, b, c)):
                continue
            triangles.append((i0, i1, i2))
            ear = j
            break
        if ear < 0:
            break  # no ear (a degenerate polygon): fan the rest
        index = index[:ear] + index[ear + 1:]
    for j in range(1, len(index) - 1):
        triangles.append((index[0], index[j], index[j + 1]))
    return triangles


def extrude(profile, depth):
    """A prism: the polygon `profile` (x, y) at z = -depth/2 and z = depth/2, joined by one quad
    per edge. Caps are triangulated by ear clipping (concave outlines allowed); the polygon is
    turned counter-clockwise first, so every face points outwards."""
    points = [(p[0], p[1]) for p in profile]
    if profile_area(points) < 0.0:
        points = points[::-1]
    n, half = len(points), depth / 2.0
    vertices = [(x, y, -half) for x, y in points] + [(x, y, half) for x, y in points]
    faces = [(i, (i + 1) % n, n + (i + 1) % n, n + i) for i in range(n)]
    for a, b, c in triangulate_polygon(points):
        faces.append((n + a, n + b, n + c))
        faces.append((c, b, a))
    return vertices, faces


def mesh(path):
    """Mesh assets are read from their file, not built here: `add_primitive` hands them to
    Blender's importers (`add_asset`) and the preview reads them with trimesh
    (`scenelang.backends.assets`). This entry registers the kind and its parameter."""
    return [], []


# The registry: one entry per primitive kind (`scenelang.ast.PRIMITIVES` holds the models).
PRIMITIVES = {
    'box': box,
    'sphere': sphere,
    'cylinder': cylinder,
    'cone': cone,
    'torus': torus,
    'plane': plane,
    'revolve': revolve,
    'extrude': extrude,
    'mesh': mesh,
}
