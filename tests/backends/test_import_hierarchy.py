"""`scenelang import` keeps hierarchy: parents become groups, repeated groups and collection
instances become `instance` statements, evenly placed copies arrays, objects sharing a mesh share
one shape.

- a .blend built with the real bpy wheel (Empties with children, a mesh parent, linked
  duplicates, a whole linked-duplicated group, a collection instanced twice, a parent that
  scales unevenly, a parent inverse that is no at/rotate/scale) imports to nested groups whose
  resolved world matrices equal Blender's own (every rendered mesh instance of the depsgraph,
  copies included) within 1e-4;
- scenes with groups, an instance and arrays exported by `scenelang export` to glTF import back
  to groups, the instance and the arrays, with every object's world matrix within 1e-4 of the
  original;
- the nesting itself (`hierarchy.compose`) without Blender: what is flattened and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bpy_script import write_blend

from scenelang import ast as sl
from scenelang.backends.export import export_scene
from scenelang.backends.importers import import_file
from scenelang.backends.importers.hierarchy import Node, compose
from scenelang.backends.importers.model import Report
from scenelang.backends.importers.transforms import valid_name
from scenelang.backends.meshes import transform_matrix, world_matrix
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import print_scene
from scenelang.resolve import resolve
from scenelang.validate import check

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-4

HIERARCHY = r"""
import json
import sys
import bpy
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
link = scene.collection.objects.link


def empty(name, parent=None, **pose):
    obj = bpy.data.objects.new(name, None)
    link(obj)
    obj.parent = parent
    for key, value in pose.items():
        setattr(obj, key, value)
    return obj


def copy(source, name, parent, **pose):
    obj = source.copy()  # a linked duplicate: the same mesh data
    obj.name = name
    link(obj)
    obj.parent = parent
    for key, value in pose.items():
        setattr(obj, key, value)
    return obj


rig = empty('Rig', location=(1, 2, 0.5), rotation_euler=(0, 0, 0.7), scale=(2, 2, 2))
arm = empty('Arm', rig, location=(0.5, 0, 0.25), rotation_euler=(0.3, 0, 0))
bpy.ops.mesh.primitive_cube_add(size=0.5)
body = bpy.context.active_object
body.name, body.parent, body.location = 'Body', rig, (0, 0, 0.2)
bpy.ops.mesh.primitive_cylinder_add(radius=0.1, depth=0.6)
post = bpy.context.active_object
post.name, post.parent, post.location, post.rotation_euler = 'Post', arm, (0, 0.3, 0), (0, 0.4, 0)
copy(post, 'Post.001', arm, location=(0, -0.3, 0))
copy(post, 'Post.002', None, location=(-3, 0, 0.3))
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.3, location=(0, -3, 1))  # a mesh parent
ball = bpy.context.active_object
ball.name = 'Ball'
bpy.ops.mesh.primitive_cone_add(radius1=0.2, depth=0.3)
cap = bpy.context.active_object
cap.name, cap.parent, cap.location = 'Cap', ball, (0, 0, 0.4)
# the whole rig duplicated with linked meshes
rig2 = empty('Rig.001', location=(-2, 3, 0), rotation_euler=(0, 0, 2.0), scale=(2, 2, 2))
copy(body, 'Body.001', rig2)
arm2 = empty('Arm.001', rig2, location=(0.5, 0, 0.25), rotation_euler=(0.3, 0, 0))
copy(post, 'Q', arm2)
copy(post, 'Q.001', arm2, location=(0, -0.3, 0))
# an uneven parent scale with a rotated child: nested groups hold it (no shear in either)
squash = empty('Squash', location=(4, 0, 0), scale=(1, 3, 1))
bpy.ops.mesh.primitive_cube_add(size=0.4)
tilted = bpy.context.active_object
tilted.name, tilted.parent = 'Tilted', squash
tilted.location, tilted.rotation_euler = (0, 0, 0.5), (0, 0, 0.5)
# parented keeping its transform under a rotated, unevenly scaled parent: the parent inverse
# makes the local transform no at/rotate/scale, so the child is flattened
skew = empty('Skew', location=(0, 4, 0), rotation_euler=(0, 0, 0.6), scale=(1, 2.5, 1))
bpy.context.view_layer.update()
leaning = copy(tilted, 'Leaning', skew, location=(3, -2, 0.5), rotation_euler=(0.2, 0, 0))
leaning.matrix_parent_inverse = skew.matrix_world.inverted()
# a collection used by two instancing Empties (offset (0, 0, 0.1)), not in the scene itself
props = bpy.data.collections.new('Props')
props.instance_offset = (0, 0, 0.1)
prop = bpy.data.objects.new('PropCube', body.data)
props.objects.link(prop)
prop.location = (0, 0, 0.25)
for i, spot in enumerate(((6, 0, 0), (6, 2, 0))):
    holder = empty(f'Holder{i}', location=spot, rotation_euler=(0, 0, 0.5 * i))
    holder.instance_type, holder.instance_collection = 'COLLECTION', props
bpy.ops.object.light_add(type='POINT', location=(0, 0, 1))
bpy.context.active_object.parent = arm
bpy.context.view_layer.update()
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1])
graph = bpy.context.evaluated_depsgraph_get()
rendered = [{'mesh': i.object.original.data.name, 'copy': i.is_instance,
             'name': i.object.original.name, 'matrix': [list(r) for r in i.matrix_world]}
            for i in graph.object_instances if i.object.type == 'MESH']
with open(sys.argv[-1] + '.json', 'w') as handle:
    json.dump(rendered, handle)
"""


def _match(expected: list[tuple[str, np.ndarray]], got: list[tuple[str, np.ndarray]]) -> float:
    """Pair every (shape, world matrix) of `expected` with one of `got` (same shape, nearest
    matrix); the largest matrix difference of the pairing."""
    assert len(expected) == len(got), (len(expected), len(got))
    free = list(got)
    worst = 0.0
    for shape, matrix in expected:
        errors = [np.abs(m - matrix).max() if s == shape else np.inf for s, m in free]
        best = int(np.argmin(errors))
        worst = max(worst, float(errors[best]))
        free.pop(best)
    return worst


@pytest.fixture(scope="module")
def hierarchy_blend(tmp_path_factory) -> Path:
    return write_blend(HIERARCHY, tmp_path_factory.mktemp("hierarchy") / "rig.blend")


@pytest.mark.blender
def test_blend_hierarchy_imports_to_groups_and_instances(hierarchy_blend, tmp_path):
    out = tmp_path / "rig.sl"
    result = import_file(hierarchy_blend, output=out)
    text = print_scene(result.scene)
    scene = parse_scene(text, str(out))
    assert check(scene) == []
    resolved = resolve(scene)
    rendered = json.loads(Path(f"{hierarchy_blend}.json").read_text())
    # every mesh Blender renders (collection copies included) is an object at its world matrix
    mesh_to_shape: dict[str, set[str]] = {}
    blender_side = []
    for entry in rendered:
        blender_side.append((entry["mesh"], np.array(entry["matrix"])))
    imported = [(o.definition.shape, world_matrix(o)) for o in resolved.objects]
    names = {o.name: o for o in resolved.objects}
    for entry in rendered:  # the objects that are no copies keep their (valid) names
        if not entry["copy"] and entry["name"] not in ("Body.001", "Q", "Q.001"):
            obj = names[valid_name(entry["name"], set(), "object")]
            assert np.abs(world_matrix(obj) - np.array(entry["matrix"])).max() < TOLERANCE, entry
            mesh_to_shape.setdefault(entry["mesh"], set()).add(obj.definition.shape)
    assert _match([(next(iter(mesh_to_shape[m])), w) for m, w in blender_side], imported) < TOLERANCE
    # one shape per shared mesh: Post, Post.001, Post.002, Q, Q.001 are all `Cylinder`
    assert all(len(shapes) == 1 for shapes in mesh_to_shape.values()), mesh_to_shape
    assert len(scene.shapes()) == len(mesh_to_shape) == 5, text
    assert {o.definition.shape for o in resolved.objects if "Post" in o.name or "Q" in o.name} \
        == {"Cylinder"}
    # the hierarchy: Rig { Arm { Post, Post_001 }, Body }, Ball's children in Ball_group
    top = {st.name: st for st in scene.composition.statements}
    rig = top["Rig"]
    assert isinstance(rig, sl.GroupDef) and rig.scale == 2
    assert [m.name for m in rig.members] == ["Arm", "Body"]
    assert [m.name for m in rig.members[0].members] == ["Post", "Post_001"]
    assert [m.name for m in top["Ball_group"].members] == ["Ball", "Cap"]
    assert names["Tilted"].parent == "Squash"
    # the duplicated rig and the second collection use are instances
    assert top["Rig_001"] == sl.InstanceDef(name="Rig_001", source="Rig", at=(-2, 3, 0),
                                            rotate=top["Rig_001"].rotate)
    assert top["Rig_001"].rotate == pytest.approx((0, 0, 114.592), abs=1e-3)
    assert isinstance(top["Holder0"], sl.GroupDef)
    assert [m.name for m in top["Holder0"].members] == ["PropCube"]
    assert top["Holder0"].at == pytest.approx((6, 0, -0.1))  # the collection's offset
    assert isinstance(top["Holder1"], sl.InstanceDef) and top["Holder1"].source == "Holder0"
    report = result.report
    assert report.flattened == ["parent Skew of Leaning flattened: relative to it, its transform "
                                "has shear, which the language cannot hold; placed at its world "
                                "transform"]
    assert isinstance(top["Leaning"], sl.ObjectDef)
    assert "group Rig_001: a copy of group Rig, written as an instance (its members are named " \
           "Rig_001_...)" in report.recognised
    assert any(n.startswith("light Point: placed in the lighting section at its world transform "
                            "(it hangs from Arm)") for n in report.notes)
    assert not report.skipped


@pytest.mark.parametrize("example", ["table_chairs", "garden_arrays"])
def test_gltf_groups_come_back(example, tmp_path):
    """A scene with groups, an instance and arrays, exported to glTF by `scenelang export`,
    imports back to groups; every object's world matrix is the original's within 1e-4."""
    original = load_scene(ROOT / "examples" / f"{example}.sl")
    glb = tmp_path / f"{example}.glb"
    export_scene(original, glb)
    out = tmp_path / f"{example}.sl"
    result = import_file(glb, output=out)
    scene = parse_scene(print_scene(result.scene), str(out))
    assert check(scene) == []
    before = resolve(original).objects
    after = resolve(scene).objects
    shapes = {o.definition.shape: o.definition.shape for o in before}
    shapes |= {"basin": "basin"}  # a CSG result comes back as a mesh asset of that name
    assert _match([(shapes[o.definition.shape], world_matrix(o)) for o in before],
                  [(o.definition.shape, world_matrix(o)) for o in after]) < TOLERANCE
    groups = [st for st in scene.composition.statements if isinstance(st, sl.GroupDef)]
    assert len(groups) >= 3 and not result.report.flattened and not result.report.skipped
    top = {st.name: st for st in scene.composition.statements}
    if example == "table_chairs":
        assert top["chair_2"] == sl.InstanceDef(name="chair_2", source="chair_1", at=(0, 0.85, 0),
                                                rotate=(0, 0, 180))
        assert {m.name for m in top["chair_1"].members} == {"feet", "seat_1", "back_1"}
        legs = next(m for m in top["table"].members if m.name == "legs")  # a ring again
        assert legs == sl.ArrayDef(name="legs", source="leg", count=4, around=(0, 0, 0),
                                   at=(0.5, 0.5, 0.36), material="oak")
        assert {o.name for o in before} == {o.name for o in after}  # the same derived names
    else:
        assert {top["lamp_posts"].members[i].source for i in (0, 1)} == {"lamp_post"}
        pickets = top["fence"].members[0]
        assert isinstance(pickets, sl.ArrayDef) and pickets.offset == (0.3, 0, 0)
        assert top["stones"].count == 12 and top["stones"].around == (0, 0, 0)


def _node(key, parent=None, shape=None, **pose) -> Node:
    return Node(key, key, transform_matrix(**pose) if pose else np.eye(4), None, parent, shape)


def test_compose_flattens_what_cannot_nest():
    """A child whose local transform has shear goes to the top level at its world transform; a
    group that mirrors dissolves; an Empty with nothing below is left out."""
    mirror = np.diag([-1.0, 1, 1, 1])
    holder = _node("holder", rotate=(0, 0, 30), scale=(1, 3, 1))  # relative to it: shear
    sheared = _node("sheared", "holder", "s", at=(0, 0, 1))
    nodes = [holder, sheared, Node("mirror", "mirror", mirror),
             _node("inside", "mirror", "s", at=(1, 0, 0)), _node("marker", at=(5, 5, 5)),
             _node("a", shape="s", at=(0, 0, 2))]
    report = Report()
    statements = compose(nodes, set(), report)
    assert [st.name for st in statements] == ["inside", "a", "sheared"]
    assert statements[2].at == (0, 0, 1)
    assert report.flattened == [
        "parent holder of sheared flattened: relative to it, its transform has shear, which the "
        "language cannot hold; placed at its world transform",
        "group mirror flattened: its transform mirrors it (a negative scale); its members are "
        "placed at their world transforms",
        "parent mirror of inside flattened"]
    assert statements[0].at == (1, 0, 0)  # matrices are world matrices


def test_compose_instances_only_with_free_names():
    """A repeated group is an instance unless a name its copy would get is taken."""
    def rig(name, x):
        return [_node(name, at=(x, 0, 0)), _node(f"{name}_part", name, "s", at=(x, 0, 1))]

    report = Report()
    statements = compose([*rig("one", 0), *rig("two", 3)], set(), report)
    assert statements[1] == sl.InstanceDef(name="two", source="one", at=(3, 0, 0))
    taken = compose([*rig("one", 0), *rig("two", 3), _node("two_one_part", shape="s")], set(),
                    Report())
    assert isinstance(taken[1], sl.GroupDef)  # `two_one_part` is taken: the copy stays a group


def test_compose_writes_rows_and_rings_as_arrays():
    """Evenly placed copies of one shape in a group at the origin become an array; a copy out of
    step by 1 mm, or a derived name that is taken, keeps the group."""
    def ring(name, nudge=0.0):
        nodes = [_node(name)]
        for i in range(6):
            x, y = 1 + 2 * np.cos(np.radians(60 * i)), 1 + 2 * np.sin(np.radians(60 * i))
            nodes.append(_node(f"{name}_{chr(97 + i)}", name, "s", at=(x + (nudge if i == 4 else 0), y, 0.5),
                               rotate=(10, 0, 60 * i)))
        return nodes

    row = [_node("row"), *(_node(f"post{i}", "row", "p", at=(0.5 * i, 2, 0)) for i in range(4))]
    report = Report()
    statements = compose([*ring("circle"), *row], set(), report)
    assert statements == [
        sl.ArrayDef(name="circle", source="s", count=6, around=(1, 1, 0), at=(3, 1, 0.5),
                    rotate=(10, 0, 0)),
        sl.ArrayDef(name="row", source="p", count=4, offset=(0.5, 0, 0), at=(0, 2, 0))]
    assert "group row: 4 copies of shape p in a row, written as an array" in report.recognised
    nudged = compose(ring("circle", nudge=1e-3), set(), Report())
    assert isinstance(nudged[0], sl.GroupDef) and len(nudged[0].members) == 6
    taken = compose([*row, _node("row_2", shape="q")], set(), Report())
    assert isinstance(taken[0], sl.GroupDef)


def test_compose_keeps_a_group_whose_array_source_would_name_an_object():
    """`array(s, ...)` looks up objects and groups before shapes: with an object named like the
    shape elsewhere, the copies stay a group."""
    row = [_node("row"), *(_node(f"post{i}", "row", "s", at=(0.5 * i, 2, 0)) for i in range(4))]
    statements = compose([*row, _node("s", shape="t")], set(), Report())
    assert isinstance(statements[0], sl.GroupDef)
    assert isinstance(compose(row, set(), Report())[0], sl.ArrayDef)
