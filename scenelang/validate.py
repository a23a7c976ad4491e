"""Whole-scene checks: names, references, consistency and resource limits.

Single values are range-checked by the AST's field constraints when a node is built (the parser
turns those into positioned errors); this module checks what needs more than one value or more
than one statement. `validate` reports every problem at once, in source order, each positioned at
the nearest node that has a span (the value's node, else the statement). Warnings (severity
"warning") point at things that are legal but probably unintended.

Errors:
- a name defined twice in one namespace: shapes (geometry), materials, objects and the camera
  (composition), lights and the world (lighting; `world` is reserved for the world statement);
- an object's shape or material that is not defined; a shape reference (`Ref`) to a shape that is
  not defined *earlier* in the geometry section (so references never form cycles);
- more than one camera or world; a camera with both `look_at` and `rotate`, or both `lens` and
  `fov`, or looking at its own position;
- a spot or area light with both `direction` and `look_at`, or aimed at its own position;
  a zero `direction` vector; an area light with `size_y` but shape square or disk;
- resource limits (`Limits`): statements, shapes, objects, lights, CSG depth (counted through
  references), CSG operands, primitives after expanding references, segments, resolution.

- a material's texture (`base_color=`, `roughness=`, `bump=`) that is not a texture statement of
  the materials section; a gradient with `start == end`; an image texture's file: outside the
  scene's folder, missing, not PNG/JPEG, over `max_image_bytes` or `max_image_side`.

Warnings: shapes and materials no object uses, textures no material uses (only when the scene has objects), a scene
without objects, and a scene that renders black (no lights, no light from the world, no emissive
material in use).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from scenelang import ast as A
from scenelang.assets import asset_path, image_path
from scenelang.errors import Diagnostic, SceneError, Span
from scenelang.light_checks import group_light_problems
from scenelang.placement import names as placed_names
from scenelang.resolve import ResolvedScene, SceneLike, resolved, shape_refs, walk_shape


@dataclass(frozen=True)
class Limits:
    """Resource limits enforced by the validator (and, for samples, by the render commands).

    Defaults: 5000 statements, 1000 shapes, 1000 objects, 64 lights, CSG nesting depth 8
    (counted through shape references), 32 operands per CSG operation, 10000 primitives (all
    objects' shapes with references expanded; also the limit for a single shape), 256 segments
    (sphere segments and rings, cylinder and cone vertices, torus segments), 4096 pixels per side
    of the camera resolution, 4096 render samples, 2,000,000 triangles (all objects' meshes,
    estimated from the primitives' mesh-detail fields; bounds the preview and export too), names
    of at most 64 characters, 10,000 objects after expanding groups, instances and arrays; mesh
    asset files of at most 50 MB and 1,000,000 triangles (the triangles are counted when the
    file is read, by the preview, export and compiler); texture images of at most 20 MB and 8192
    pixels per side.
    """

    max_statements: int = 5000
    max_shapes: int = 1000
    max_objects: int = 1000
    max_lights: int = 64
    max_csg_depth: int = 8
    max_csg_operands: int = 32
    max_primitives: int = 10000
    max_segments: int = 256
    max_resolution: int = 4096
    max_samples: int = 4096
    max_triangles: int = 2_000_000
    max_name_length: int = 64
    max_asset_bytes: int = 50 * 1024 * 1024
    max_asset_triangles: int = 1_000_000
    max_expanded_objects: int = 10_000
    """Objects and lights after expanding groups, instances and arrays."""
    max_image_bytes: int = 20 * 1024 * 1024
    """Size of a texture image file (`image(path=...)`)."""
    max_image_side: int = 8192
    """Pixels per side of a texture image."""


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Finding:
    """A diagnostic plus what it is about, so the patch engine can re-position it.

    `section`/`statement` name the statement the problem is reported on; `missing` is
    `(kind, name)` when the problem is a reference to an undefined shape or material.
    """

    diagnostic: Diagnostic
    section: str | None = None
    statement: str | None = None
    missing: tuple[str, str] | None = None


# ---------------------------------------------------------------- helpers


def span_of(*nodes: object) -> Span | None:
    """The span of the first node that has one."""
    for node in nodes:
        span = getattr(node, "span", None)
        if span is not None:
            return span
    return None


def describe(st: A.Node) -> str:
    """`object 'table_1'`, `the world`, ... for messages."""
    if isinstance(st, A.World):
        return "the world"
    return f"{st.stmt} '{st.name}'"  # type: ignore[attr-defined]


def _at_line(node: A.Node) -> str:
    span = getattr(node, "span", None)
    return f" (line {span.line})" if span is not None else ""


def close_names(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for a close match, else a short list of what exists."""
    choices = list(dict.fromkeys(choices))
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if not choices:
        return ""
    if len(choices) <= 12:
        return "; defined: " + ", ".join(choices)
    return ""


def primitive_triangles(node: A.ShapeBase) -> int:
    """An upper bound on the triangles of one primitive's mesh, from its mesh-detail fields:
    12 without any (a box), 4n with one (n around a circle: sides and caps), 2ab with two (a
    grid of a x b quads, e.g. sphere segments x rings)."""
    bound = node.triangle_bound()
    if bound is not None:
        return bound
    values = [int(getattr(node, f)) for f in A.detail_fields(type(node))]
    if not values:
        return 12
    if len(values) == 1:
        return 4 * values[0]
    product = 2
    for v in values:
        product *= v
    return product


def _is_zero(v: tuple[float, ...] | None) -> bool:
    return v is not None and all(c == 0 for c in v)


ONE_OF_HINT = "a `set` cannot clear a parameter: in a patch, write the whole statement again"


# ---------------------------------------------------------------- the checker


class _Checker:
    def __init__(self, scene: ResolvedScene, limits: Limits):
        self.resolved = scene
        self.scene = scene.scene
        self.limits = limits
        self.findings: list[Finding] = []
        self.section: str | None = None
        self.shape_index = scene.shapes  # name -> first definition and its position
        self.depth: dict[str, int] = {}
        self.primitives: dict[str, int] = {}
        self.triangles: dict[str, int] = {}
        self.too_deep: set[str] = set()  # shapes over the depth limit (reported once)
        self.too_big: set[str] = set()  # shapes over the primitive limit (reported once)
        self.first_camera: A.Camera | None = None
        self.textures: dict[str, A.TextureDef] | None = None  # by name, built on first use

    def report(self, message: str, *nodes: object, statement: A.Node | None = None,
               severity: str = "error", hint: str | None = None,
               missing: tuple[str, str] | None = None) -> None:
        span = span_of(*nodes, statement)
        self.findings.append(Finding(
            Diagnostic(message, span, severity, hint),  # type: ignore[arg-type]
            self.section if statement is not None else None,
            getattr(statement, "name", None) if statement is not None else None,
            missing,
        ))

    # -------------------------------------------------------------- driver

    def run(self) -> list[Finding]:
        counts = {"statement": 0, "shape": 0, "object": 0, "light": 0}
        limits = {"statement": self.limits.max_statements, "shape": self.limits.max_shapes,
                  "object": self.limits.max_objects, "light": self.limits.max_lights}
        for section in self.scene.sections():
            self.section = section.name
            seen: dict[str, A.Node] = {}
            self.seen = seen
            for index, st in enumerate(section.statements):
                for key in ("statement", st.stmt):
                    if key in counts:
                        counts[key] += 1
                        if counts[key] == limits[key] + 1:
                            plural = "statements" if key == "statement" else f"{key}s"
                            self.report(f"too many {plural}: the limit is {limits[key]}",
                                        statement=st)
                self.check_name(st, seen)
                getattr(self, f"check_{st.stmt}")(st, index)
        self.section = None
        self.check_placement()
        self.check_primitive_total()
        self.check_usage()
        return self.findings

    def check_name(self, st: A.Node, seen: dict[str, A.Node]) -> None:
        name = st.name  # type: ignore[attr-defined]
        limit = self.limits.max_name_length
        for field in ("name", "shape", "material"):
            value = getattr(st, field, None)
            if isinstance(value, str) and len(value) > limit:
                what = "name" if field == "name" else f"{field} name"
                self.report(f"{st.stmt} {what} '{value[:20]}...' is too long ({len(value)} "
                            f"characters; the limit is {limit})", statement=st)
        if isinstance(st, A.ShapeDef):
            for node in walk_shape(st.shape):
                if isinstance(node, A.Ref) and len(node.name) > limit:
                    self.report(f"shape reference '{node.name[:20]}...' is too long "
                                f"({len(node.name)} characters; the limit is {limit})", node,
                                statement=st)
        if isinstance(st, A.LightDef) and name == "world":
            self.report("the name 'world' is reserved for the world statement; "
                        "choose another name for this light", statement=st)
            return
        first = seen.get(name)
        if first is None:
            seen[name] = st
            return
        if isinstance(st, A.Camera) and isinstance(first, A.Camera):
            return  # "more than one camera" says it all
        if isinstance(st, A.World):
            self.report(f"more than one world statement (the first is on line "
                        f"{first.span.line})" if first.span else "more than one world statement",
                        statement=st)
        elif type(first) is type(st):
            self.report(f"{describe(st)} is defined twice" + (f" (first on line {first.span.line})"
                                                             if first.span else ""), statement=st)
        else:
            self.report(f"{describe(st)}: the name '{name}' is already used by "
                        f"{describe(first)}{_at_line(first)}", statement=st)

    # -------------------------------------------------------------- geometry

    def check_shape(self, st: A.ShapeDef, index: int) -> None:
        for node in walk_shape(st.shape):
            if isinstance(node, A.Ref):
                self.check_ref(st, index, node)
            elif isinstance(node, A.Csg) and len(node.operands) > self.limits.max_csg_operands:
                self.report(f"shape '{st.name}': {node.kind} has {len(node.operands)} operands; "
                            f"the limit is {self.limits.max_csg_operands}", node, statement=st)
            for message, hint in node.problems():  # profiles: too few points, crossings, ...
                self.report(f"shape '{st.name}': {message}", node, statement=st, hint=hint)
            if isinstance(node, A.MeshAsset):  # the file: confined to the scene's folder, size
                try:
                    asset_path(node.path.value, node.path.span or node.span or st.span,
                               self.limits.max_asset_bytes)
                except SceneError as exc:
                    for d in exc.diagnostics:
                        self.report(f"shape '{st.name}': {d.message}", d, node, statement=st,
                                    hint=d.hint)
            if node.bevel is not None and node is not st.shape:
                self.report(f"shape '{st.name}': bevel applies to a whole shape, not to a part",
                            node, statement=st, hint="write `bevel W` after the outermost shape "
                            "expression, or define the part as its own shape")
            if node.material is not None and node.material not in self.resolved.materials:
                self.report(f"shape '{st.name}' uses material '{node.material}', which is not "
                            f"defined{close_names(node.material, self.resolved.materials)}", node,
                            statement=st, missing=("material", node.material),
                            hint="define it in the materials section: material NAME = principled(...)")
            for field in A.detail_fields(type(node)):
                value = getattr(node, field)
                if value > self.limits.max_segments:
                    self.report(f"shape '{st.name}': {node.kind} {field}={value} exceeds the "  # type: ignore[attr-defined]
                                f"limit of {self.limits.max_segments}", node, statement=st)
        if self.shape_index[st.name].index != index:
            return  # a duplicate: reported by check_name; sizes use the first definition
        depth, refs = self.shape_depth(st.shape), shape_refs(st.shape)
        self.depth[st.name] = depth
        self.primitives[st.name] = self.shape_primitives(st.shape)
        self.triangles[st.name] = self.shape_triangles(st.shape)
        if depth > self.limits.max_csg_depth:
            self.too_deep.add(st.name)
            if not any(r.name in self.too_deep for r in refs):
                self.report(f"shape '{st.name}' nests CSG operations {depth} deep (counting "
                            f"through referenced shapes); the limit is "
                            f"{self.limits.max_csg_depth}", statement=st)
        elif self.primitives[st.name] > self.limits.max_primitives:
            self.too_big.add(st.name)
            if any(r.name in self.too_big for r in refs):
                return
            self.report(f"shape '{st.name}' expands to {self.primitives[st.name]} primitives "
                        f"(counting referenced shapes); the limit is "
                        f"{self.limits.max_primitives}", statement=st)

    def check_ref(self, st: A.ShapeDef, index: int, ref: A.Ref) -> None:
        target = self.shape_index.get(ref.name)
        if target is not None and target.index < index:
            return
        if ref.name == st.name:
            message = f"shape '{st.name}' refers to itself"
        elif target is not None:
            message = (f"shape '{st.name}' refers to shape '{ref.name}', which is defined later"
                       f"{_at_line(target.definition)}; a shape can only use shapes defined "
                       f"before it")
        else:
            earlier = [s.name for s in self.scene.geometry.statements[:index]]
            message = (f"shape '{st.name}' refers to shape '{ref.name}', which is not defined"
                       f"{close_names(ref.name, earlier)}")
        self.report(message, ref, statement=st, missing=("shape", ref.name))

    def _resolved(self, name: str, table: dict[str, int]) -> int:
        return table.get(name, 0)  # undefined or later references are reported elsewhere

    def shape_depth(self, shape: A.ShapeBase) -> int:
        if isinstance(shape, A.Ref):
            return self._resolved(shape.name, self.depth)
        if isinstance(shape, A.Csg):
            return 1 + max(self.shape_depth(op) for op in shape.operands)
        return 0

    def shape_triangles(self, shape: A.ShapeBase) -> int:
        if isinstance(shape, A.Ref):
            return self._resolved(shape.name, self.triangles)
        if isinstance(shape, A.Csg):
            return sum(self.shape_triangles(op) for op in shape.operands)
        return primitive_triangles(shape)

    def shape_primitives(self, shape: A.ShapeBase) -> int:
        if isinstance(shape, A.Ref):
            return self._resolved(shape.name, self.primitives)
        if isinstance(shape, A.Csg):
            return sum(self.shape_primitives(op) for op in shape.operands)
        return 1

    # -------------------------------------------------------------- materials

    def check_material(self, st: A.MaterialDef, index: int) -> None:
        names = st.material.texture_names()
        if not names:
            return
        if self.textures is None:
            self.textures = self.scene.textures_by_name()
        textures = self.textures
        for name in names:
            if name in textures:
                continue
            fields = [f for f in ("base_color", "roughness", "bump") if getattr(st.material, f) == name]
            self.report(f"material '{st.name}' uses texture '{name}' ({', '.join(fields)}), which "
                        f"is not defined{close_names(name, textures)}", statement=st,
                            missing=("texture", name),
                            hint="define it in the materials section: texture NAME = checker(...), "
                                 "noise(...), wave(...), brick(...), gradient(...) or image(path=...)")

    def check_texture(self, st: A.TextureDef, index: int) -> None:
        texture = st.texture
        if isinstance(texture, A.Gradient) and texture.start == texture.end:
            self.report(f"texture '{st.name}': gradient start and end are both {texture.start:g}",
                        texture, statement=st, hint="give the ramp a length: start=-1, end=1")
        if isinstance(texture, A.ImageTexture):  # the file: confined, present, size
            try:
                image_path(texture.path.value, texture.path.span or texture.span or st.span,
                           self.limits.max_image_bytes, self.limits.max_image_side)
            except SceneError as exc:
                for d in exc.diagnostics:
                    self.report(f"texture '{st.name}': {d.message}", d, texture, statement=st,
                                hint=d.hint)

    # -------------------------------------------------------------- composition

    def check_object(self, st: A.ObjectDef, index: int) -> None:
        materials = self.resolved.materials
        if st.shape not in self.shape_index:
            self.report(f"object '{st.name}' uses shape '{st.shape}', which is not defined"
                        f"{close_names(st.shape, self.shape_index)}",
                        statement=st, missing=("shape", st.shape))
        if st.material is not None and st.material not in materials:
            self.report(f"object '{st.name}' uses material '{st.material}', which is not defined"
                        f"{close_names(st.material, materials)}",
                        statement=st, missing=("material", st.material))

    def _check_material_name(self, st: A.Statement) -> None:
        materials = self.resolved.materials
        material = st.material  # type: ignore[attr-defined]
        if material is not None and material not in materials:
            self.report(f"{describe(st)} uses material '{material}', which is not defined"
                        f"{close_names(material, materials)}",
                        statement=st, missing=("material", material))

    def check_instance(self, st: A.InstanceDef, index: int) -> None:
        self._check_material_name(st)

    def check_array(self, st: A.ArrayDef, index: int) -> None:
        self._check_material_name(st)

    def check_group(self, st: A.GroupDef, index: int) -> None:
        """Members share the composition's namespace (names unique across groups)."""
        for member in st.members:
            self.check_name(member, self.seen)
            getattr(self, f"check_{member.stmt}")(member, index)

    def check_placement(self) -> None:
        """Unknown or cyclic instance/array sources; the objects after expansion against
        `Limits.max_expanded_objects`; names the copies make that clash."""
        scene = self.resolved
        if not scene.has_placements:
            return  # plain objects: nothing is expanded
        self.section = "composition"
        for d in scene.placement_errors:
            self.findings.append(Finding(d, "composition", None))
        limit, total, nodes = self.limits.max_expanded_objects, 0, 0
        for part in scene.parts:
            total, nodes = total + part.size(), nodes + part.nodes()
            if max(total, nodes) > limit:
                count, what = (total, "objects") if total > limit else (nodes, "objects and group copies")
                self.report(f"the composition makes {count:,} {what} up to "
                            f"{describe(part.statement)} (groups, instances and arrays expanded); "
                            f"the limit is {limit:,}", statement=part.statement,
                            hint="lower an array's count")
                self.section = None
                return
        if total != len(scene.parts) or any(p.kind != "object" for p in scene.parts):
            seen: dict[str, object] = {}
            for name, part in placed_names(scene.parts):
                first = seen.setdefault(name, part)
                written = first.statement.name == name and part.statement.name == name
                if first is not part and not written:  # written twice: check_name reports it
                    self.report(f"two things are named '{name}' once groups, instances and arrays "
                                f"are expanded (a copy's members are named COPY_MEMBER, an "
                                f"array's copies ARRAY_1, ARRAY_2, ...)", part.statement,
                                statement=part.statement, hint="rename one of them")
                    break
        for message, st, hint in group_light_problems(scene, self.limits.max_lights):
            self.report(message, statement=st, hint=hint)
        self.section = None

    def check_camera(self, st: A.Camera, index: int) -> None:
        if self.first_camera is None:
            self.first_camera = st
        else:
            self.report(f"more than one camera: the scene already has camera "
                        f"'{self.first_camera.name}'{_at_line(self.first_camera)}", statement=st,
                        hint=f"a scene has one camera: to change it, write "
                             f"`camera {self.first_camera.name} ...` (the same name) to replace it")
        if st.look_at is not None and st.rotate is not None:
            self.report(f"camera '{st.name}' has both look_at and rotate; give only one",
                        statement=st, hint=ONE_OF_HINT)
        if st.lens is not None and st.fov is not None:
            self.report(f"camera '{st.name}' has both lens and fov; give only one", statement=st,
                        hint=ONE_OF_HINT)
        if st.look_at is not None and tuple(st.look_at) == tuple(st.at):
            self.report(f"camera '{st.name}' looks at its own position (look_at equals at)",
                        statement=st)
        width, height = st.resolution
        if max(width, height) > self.limits.max_resolution:
            self.report(f"camera '{st.name}': resolution {width}x{height} exceeds the limit of "
                        f"{self.limits.max_resolution} pixels per side", statement=st)

    # -------------------------------------------------------------- lighting

    def check_world(self, st: A.World, index: int) -> None:
        pass  # colour and strength are single range-checked values

    def check_light(self, st: A.LightDef, index: int) -> None:
        light = st.light
        if _is_zero(getattr(light, "direction", None)):
            self.report(f"light '{st.name}' has a zero direction vector; give a direction such "
                        f"as (0, 0, -1)", light, statement=st)
        if isinstance(light, (A.Spot, A.Area)):
            if light.direction is not None and light.look_at is not None:
                self.report(f"light '{st.name}' has both direction and look_at; give only one",
                            light, statement=st, hint=ONE_OF_HINT)
            if light.look_at is not None and tuple(light.look_at) == tuple(light.at):
                self.report(f"light '{st.name}' is aimed at its own position (look_at equals at)",
                            light, statement=st)
        if isinstance(light, A.Area) and light.size_y is not None and light.shape in ("square",
                                                                                     "disk"):
            self.report(f"light '{st.name}': size_y is only used with shape rectangle or "
                        f"ellipse, but the shape is {light.shape}; remove size_y or change the "
                        f"shape", light, statement=st)

    # -------------------------------------------------------------- whole scene

    def check_primitive_total(self) -> None:
        total = 0
        self.section = "composition"
        for obj in self.resolved.objects:
            st = obj.definition
            if st.shape in self.too_deep or st.shape in self.too_big:
                continue
            total += self.primitives.get(st.shape, 0)
            if total > self.limits.max_primitives:
                self.report(f"the objects up to '{obj.name}' build {total} primitives (counting "
                            f"CSG operands); the limit is {self.limits.max_primitives}",
                            statement=st)
                break
        self.check_triangle_total()
        self.section = None

    def check_triangle_total(self) -> None:
        """The meshes of all objects together (CSG operands and references counted) against
        `Limits.max_triangles`; reported once, on the object that crosses the limit, with the
        whole scene's total."""
        limit = self.limits.max_triangles
        total, first, first_name = 0, None, ""
        for obj in self.resolved.objects:
            st = obj.definition
            if st.shape in self.too_deep or st.shape in self.too_big:
                continue
            total += self.triangles.get(st.shape, 0)
            if first is None and total > limit:
                first, first_name = st, obj.name
        if first is not None:
            self.report(f"the scene's meshes have about {total:,} triangles (objects from "
                        f"'{first_name}' on exceed the budget); the limit is {limit:,}: lower "
                        f"segments/rings/vertices or use fewer objects", statement=first)

    def check_usage(self) -> None:
        scene = self.resolved
        objects = [o.definition for o in scene.objects]
        if not objects:
            self.report("the scene has no objects; shapes and materials only appear in the render "
                        "when an object uses them", self.scene.composition, severity="warning")
        else:
            self.warn_unused(objects)
        emissive = any(
            o.material_def is not None and o.material.emission_strength > 0
            and any(o.material.emission_color.linear())
            for o in scene.objects
        )
        world = scene.world_def
        if (not scene.lights and world is not None and not emissive
                and (world.strength == 0 or not any(world.color.linear()))):
            self.section = "lighting"
            self.report("the scene has no lights and the world gives no light, so the render "
                        "will be black; add a light or raise the world strength",
                        statement=world, severity="warning")
            self.section = None

    def warn_unused(self, objects: list[A.ObjectDef]) -> None:
        used = self.resolved.used_shapes()
        self.section = "geometry"
        for st in self.scene.geometry.statements:
            if st.name not in used:
                self.report(f"shape '{st.name}' is not used by any object", statement=st,
                            severity="warning")
        used_materials = {o.material for o in objects}
        used_materials.update(node.material for st in self.scene.geometry.statements
                              if st.name in used for node in walk_shape(st.shape))
        self.section = "materials"
        materials = self.scene.materials.statements
        used_textures = {t for st in materials if isinstance(st, A.MaterialDef)
                         for t in st.material.texture_names()}
        for st in materials:
            if isinstance(st, A.TextureDef):
                if st.name not in used_textures:
                    self.report(f"texture '{st.name}' is not used by any material", statement=st,
                                severity="warning")
            elif st.name not in used_materials:
                self.report(f"material '{st.name}' is not used by any object", statement=st,
                            severity="warning")
        self.section = None


# ---------------------------------------------------------------- public API


def findings(scene: SceneLike, limits: Limits | None = None) -> list[Finding]:
    """All problems of `scene` (a Scene or a ResolvedScene) with what they are about (see
    `Finding`)."""
    return _Checker(resolved(scene), limits or DEFAULT_LIMITS).run()


def validate(scene: SceneLike, limits: Limits | None = None) -> list[Diagnostic]:
    """Every error and warning of `scene`, in source order within each kind of check."""
    return [f.diagnostic for f in findings(scene, limits)]


def check(scene: SceneLike, limits: Limits | None = None) -> list[Diagnostic]:
    """Raise `SceneError` (carrying all diagnostics) when `scene` has an error; else return the
    warnings."""
    diagnostics = validate(scene, limits)
    if any(d.severity == "error" for d in diagnostics):
        raise SceneError(diagnostics)
    return diagnostics


def check_samples(samples: int, limits: Limits | None = None) -> None:
    """Raise `SceneError` unless 1 <= `samples` <= `limits.max_samples` (render settings)."""
    limit = (limits or DEFAULT_LIMITS).max_samples
    if not 1 <= samples <= limit:
        raise SceneError(f"samples must be between 1 and {limit}, got {samples}")
