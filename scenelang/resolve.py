"""Names bound once: `resolve(scene) -> ResolvedScene`.

A scene refers to things by name: objects name a shape and a material, shape expressions name
earlier shapes (`Ref`). `resolve` binds every name once, the way a renderer's scene builder does,
so the validator, the compiler and the preview meshes share one answer instead of each walking
the AST again:

- shapes by name (the first definition of a name wins; a second one is the validator's error),
  with each definition's position, the references written in it, and the problems of those
  references: `unknown` (no such shape), `cycle` (the target leads back to the shape it is
  written in, itself included) and `later` (the target is defined after it);
- each object with its shape definition and its material (`DEFAULT_MATERIAL` when it names
  none), plus positioned errors for an unknown shape or material;
- the camera (`DEFAULT_CAMERA` when there is none), the world (default `World()` when there is
  none), the lights in source order: those written in composition groups (with their copies)
  first, in world space, then the lighting section's.

`resolve` never raises: problems are data, and each consumer decides which are errors (the
compiler accepts a reference to a later shape, the preview does not; the validator words every
problem for a user). `ResolvedScene.target` follows one reference and raises a positioned
`SceneError` for the problems its caller does not accept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from scenelang import ast as A
from scenelang.errors import Diagnostic, SceneError
from scenelang.placement import Part, Transform, expand, flatten, has_lights, light_in_world

DEFAULT_MATERIAL = A.Principled()
"""The material of an object without one: Principled defaults, base colour linear grey 0.8."""

Problem = Literal["unknown", "cycle", "later"]


@dataclass(frozen=True)
class RefProblem:
    """A reference written in shape `owner` that cannot be followed (or only forwards)."""

    owner: A.ShapeDef
    ref: A.Ref
    problem: Problem
    cycle: tuple[str, ...] = ()
    """For a cycle: the names around it, starting and ending with the owner."""

    def message(self) -> str:
        if self.problem == "unknown":
            return f"unknown shape {self.ref.name!r}"
        if self.problem == "cycle":
            return "shape definitions refer to each other in a cycle: " + " -> ".join(self.cycle)
        return f"shape {self.ref.name!r} is not defined before it is used"

    def error(self) -> SceneError:
        return SceneError(self.message(), self.ref.span or self.owner.span)


@dataclass(frozen=True)
class ShapeEntry:
    """One shape definition, where it stands, and the references written in it."""

    definition: A.ShapeDef
    index: int
    refs: tuple[A.Ref, ...]

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(frozen=True)
class ResolvedObject:
    """An object with its shape and material bound (`shape` is None when unknown)."""

    definition: A.ObjectDef
    shape: A.ShapeDef | None
    material: A.Principled
    """The object's material, `DEFAULT_MATERIAL` when it names none (or an unknown one)."""
    material_def: A.MaterialDef | None
    errors: tuple[Diagnostic, ...] = ()
    """Positioned errors: an unknown shape, an unknown material."""
    chain: tuple[Transform, ...] = ()
    """The transforms of the groups, instances and array steps above the object, outermost
    first (empty for a top-level object); its world matrix is their product times its own."""
    parent: str | None = None
    """The name of the group or array (an Empty in Blender) the object hangs from."""
    chain_names: tuple[str, ...] = ()
    """A name per `chain` link: the group, instance or array, or `ELEMENT#step` for an array's
    step (Blender folds a step into the element's own transform)."""
    full_name: str | None = None
    """The object's name when it is a copy (`definition` is then shared by all copies of one
    member and its `name` is not the object's)."""

    @property
    def name(self) -> str:
        return self.full_name if self.full_name is not None else self.definition.name


@dataclass(frozen=True)
class ResolvedLight:
    """A light in world space. For one written in the lighting section, `light` is the written
    one; for one written in a composition group (or a copy of it), `definition.light` is
    relative to the group and `light` has the group transforms applied (`placement.light_in_world`)."""

    definition: A.LightDef
    light: A.Light
    """The light in world space (`at`, `direction`, `look_at` moved and turned)."""
    chain: tuple[Transform, ...] = ()
    """The transforms of the groups, instances and array steps above it, outermost first."""
    parent: str | None = None
    """The name of the group or array (an Empty in Blender) it hangs from; None in lighting."""
    chain_names: tuple[str, ...] = ()
    full_name: str | None = None
    """Its name when it is a copy (an instance's or array's `COPY_NAME`)."""

    @property
    def name(self) -> str:
        return self.full_name if self.full_name is not None else self.definition.name

    @property
    def span(self):
        return self.definition.span

    def local(self) -> A.LightDef:
        """The statement as written (relative to its parent), under the light's full name."""
        d = self.definition
        return d if d.name == self.name else d.model_copy(update={"name": self.name})


def scene_lights(scene: A.Scene, parts: tuple[Part, ...] | None = None) -> tuple[ResolvedLight, ...]:
    """Every light of `scene` in world space: those in composition groups (copies included,
    from `parts`, else expanded here), then the lighting section's."""
    placed: list[ResolvedLight] = []
    statements = scene.composition.statements
    if has_lights(statements):
        if parts is None:
            parts = expand(statements, {})[0]  # lights need no shapes
        for leaf in flatten(parts, kind="light"):
            st = leaf.part.statement
            assert isinstance(st, A.LightDef)
            placed.append(ResolvedLight(st, light_in_world(st.light, leaf.chain), leaf.chain,
                                        leaf.parent, leaf.chain_names,
                                        None if leaf.name == st.name else leaf.name))
    return (*placed, *(ResolvedLight(ld, ld.light) for ld in scene.lights()))


def walk_shape(shape: A.ShapeBase) -> Iterator[A.ShapeBase]:
    """Every node of a shape expression, depth first (references are not followed)."""
    yield shape
    if isinstance(shape, A.Csg):
        for operand in shape.operands:
            yield from walk_shape(operand)


def shape_refs(shape: A.ShapeBase) -> list[A.Ref]:
    """The references written in a shape expression, depth first."""
    return [node for node in walk_shape(shape) if isinstance(node, A.Ref)]


@dataclass(frozen=True)
class ResolvedScene:
    """A scene with every name bound once (build it with `resolve`)."""

    scene: A.Scene
    shapes: dict[str, ShapeEntry]
    materials: dict[str, A.MaterialDef]
    objects: tuple[ResolvedObject, ...]
    camera: A.Camera
    world: A.World
    world_def: A.World | None
    lights: tuple[ResolvedLight, ...]
    """Every light in world space (`scene_lights`): composition groups' first, then lighting's."""
    ref_problems: dict[tuple[str, A.Ref], RefProblem] = field(repr=False)
    expanded: tuple[Part, ...] | None = field(default=None, repr=False)
    """The composition tree when it has groups, instances or arrays (else built on first use of
    `parts`, so plain scenes pay nothing for it)."""
    placement_errors: tuple[Diagnostic, ...] = ()
    """Instances and arrays whose source is unknown or contains them."""

    @property
    def has_placements(self) -> bool:
        """True when the composition has a group, an instance or an array."""
        return self.expanded is not None

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        """The composition as a tree (`scenelang.placement`): objects, groups, instances, arrays."""
        if self.expanded is not None:
            return self.expanded
        return expand(self.scene.composition.statements, self.shapes)[0]

    # -------------------------------------------------------------- shapes

    def shape(self, name: str) -> A.ShapeDef | None:
        entry = self.shapes.get(name)
        return entry.definition if entry is not None else None

    def problem(self, owner: str, ref: A.Ref) -> RefProblem | None:
        """What is wrong with `ref` written in shape `owner` (None: it binds to an earlier shape)."""
        return self.ref_problems.get((owner, ref))

    def target(self, owner: str, ref: A.Ref, *, allow_later: bool = False) -> A.ShapeDef:
        """The definition `ref` (written in shape `owner`) names.

        Raises a positioned `SceneError` for an unknown or cyclic reference, and for a reference
        to a later shape unless `allow_later`.
        """
        problem = self.problem(owner, ref)
        if problem is not None and not (allow_later and problem.problem == "later"):
            raise problem.error()
        return self.shapes[ref.name].definition

    def dependencies(self, name: str) -> tuple[A.ShapeDef, ...]:
        """The known definitions shape `name` uses through references, transitively, each once,
        sorted by name (the shape itself only when it is part of a cycle)."""
        seen: dict[str, A.ShapeDef] = {}
        entry = self.shapes.get(name)
        pending = [r.name for r in entry.refs] if entry is not None else []
        while pending:
            current = pending.pop()
            if current in seen or current not in self.shapes:
                continue
            seen[current] = self.shapes[current].definition
            pending.extend(r.name for r in self.shapes[current].refs)
        return tuple(seen[n] for n in sorted(seen))

    def used_shapes(self) -> set[str]:
        """Names of the shapes some object uses, directly or through references."""
        used: set[str] = set()
        for obj in self.objects:
            if obj.shape is not None and obj.shape.name not in used:
                used.add(obj.shape.name)
                used.update(d.name for d in self.dependencies(obj.shape.name))
        return used

    # -------------------------------------------------------------- objects

    def object_errors(self) -> list[Diagnostic]:
        """Every object's unknown shape and material (each once), then the instances' and
        arrays' unknown or cyclic sources."""
        seen: set[tuple] = set()
        out = []
        for obj in self.objects:
            for d in obj.errors:
                key = (d.message, d.span)
                if key not in seen:
                    seen.add(key)
                    out.append(d)
        return out + list(self.placement_errors)

    def check_objects(self) -> None:
        """Raise `SceneError` (all object errors at once) when an object names something unknown."""
        errors = self.object_errors()
        if errors:
            raise SceneError(errors)


def _cycle(shapes: dict[str, ShapeEntry], owner: str, target: str) -> tuple[str, ...] | None:
    """`(owner, target, ..., owner)` when `target` leads back to `owner`, else None."""
    parent: dict[str, str | None] = {target: None}
    queue = deque([target])
    while queue:
        current = queue.popleft()
        if current == owner:
            path: list[str] = []
            node: str | None = current
            while node is not None:
                path.append(node)
                node = parent[node]
            return (owner, *reversed(path))
        for ref in shapes[current].refs:
            if ref.name in shapes and ref.name not in parent:
                parent[ref.name] = current
                queue.append(ref.name)
    return None


def _resolve_refs(shapes: dict[str, ShapeEntry]) -> dict[tuple[str, A.Ref], RefProblem]:
    # a cycle needs a reference to the same or a later definition: without one, skip the search
    may_cycle = any(r.name in shapes and shapes[r.name].index >= e.index
                    for e in shapes.values() for r in e.refs)
    problems: dict[tuple[str, A.Ref], RefProblem] = {}
    for entry in shapes.values():
        for ref in entry.refs:
            key = (entry.name, ref)
            if key in problems:
                continue
            target = shapes.get(ref.name)
            if target is None:
                problems[key] = RefProblem(entry.definition, ref, "unknown")
            elif may_cycle and (cycle := _cycle(shapes, entry.name, ref.name)) is not None:
                problems[key] = RefProblem(entry.definition, ref, "cycle", cycle)
            elif target.index > entry.index:
                problems[key] = RefProblem(entry.definition, ref, "later")
    return problems


def _object(obj: A.ObjectDef, shapes: dict[str, ShapeEntry],
            materials: dict[str, A.MaterialDef]) -> ResolvedObject:
    errors = []
    shape = shapes.get(obj.shape)
    if shape is None:
        errors.append(Diagnostic(f"object {obj.name!r} uses unknown shape {obj.shape!r}",
                                 obj.span))
    material_def = materials.get(obj.material) if obj.material is not None else None
    if obj.material is not None and material_def is None:
        errors.append(Diagnostic(f"object {obj.name!r} uses unknown material {obj.material!r}",
                                 obj.span))
    return ResolvedObject(obj, shape.definition if shape is not None else None,
                          material_def.material if material_def is not None else DEFAULT_MATERIAL,
                          material_def, tuple(errors))


def _leaf_objects(leaves, shapes, materials) -> Iterator[ResolvedObject]:
    """Resolved objects of the flattened composition: the copies of one part (an array's
    element, an instance's member) share one definition, relative to their parent."""
    bound: dict[int, ResolvedObject] = {}
    for leaf in leaves:
        part = leaf.part
        st = part.statement
        if not leaf.chain and isinstance(st, A.ObjectDef) and st.name == leaf.name:
            yield _object(st, shapes, materials)  # a plain top-level object
            continue
        obj = bound.get(id(part))
        if obj is None:
            at, rotate, scale = part.transform
            definition = A.ObjectDef.model_construct(
                name=leaf.name, shape=part.shape, at=at, rotate=rotate,
                scale=scale[0] if scale[0] == scale[1] == scale[2] else scale,
                material=part.material, span=st.span, comments=(), trailing_comment=None,
                stmt="object")
            obj = bound[id(part)] = _object(definition, shapes, materials)
        yield ResolvedObject(obj.definition, obj.shape, obj.material, obj.material_def, obj.errors,
                             leaf.chain, leaf.parent, leaf.chain_names, leaf.name)


def resolve(scene: A.Scene) -> ResolvedScene:
    """Bind every name of `scene` once (never raises; see the module docstring)."""
    shapes: dict[str, ShapeEntry] = {}
    for index, st in enumerate(scene.geometry.statements):
        if isinstance(st, A.ShapeDef) and st.name not in shapes:
            shapes[st.name] = ShapeEntry(st, index, tuple(shape_refs(st.shape)))
    materials: dict[str, A.MaterialDef] = {}
    for st in scene.materials.statements:
        if isinstance(st, A.MaterialDef):
            materials.setdefault(st.name, st)
    world = scene.world()
    statements = scene.composition.statements
    expanded, placement_errors = None, []
    if not any(isinstance(st, (A.GroupDef, A.InstanceDef, A.ArrayDef)) for st in statements):
        objects = tuple(_object(o, shapes, materials) for o in scene.objects())  # the fast case
    else:
        expanded, placement_errors = expand(statements, shapes)
        objects = tuple(_leaf_objects(flatten(expanded), shapes, materials))
    return ResolvedScene(
        scene=scene,
        shapes=shapes,
        materials=materials,
        objects=objects,
        camera=scene.camera(),
        world=world if world is not None else A.World(),
        world_def=world,
        lights=scene_lights(scene, expanded),
        ref_problems=_resolve_refs(shapes),
        expanded=expanded,
        placement_errors=tuple(placement_errors),
    )


SceneLike = A.Scene | ResolvedScene


def resolved(scene: SceneLike) -> ResolvedScene:
    """`scene` itself when already resolved, else `resolve(scene)`."""
    return scene if isinstance(scene, ResolvedScene) else resolve(scene)
