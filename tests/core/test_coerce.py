"""Value typing rules shared by the parser and `set` in patches."""

from __future__ import annotations

import math

import pytest

from scenelang import ast as A
from scenelang.coerce import CoerceError, coerce, describe, with_param
from scenelang.errors import SceneError, Span


def num(x, unit=None):
    return A.Number(value=x, unit=unit)


def vec(*xs):
    return A.Vector(items=tuple(num(x) for x in xs))


def field(cls, name):
    f = cls.model_fields[name]
    return f.annotation, tuple(f.metadata)


def test_angles_accept_deg_rad_and_bare_degrees():
    tp, meta = field(A.Sun, "angle")
    assert coerce(num(30, "deg"), tp, meta) == 30
    assert coerce(num(30), tp, meta) == 30
    assert coerce(num(math.pi, "rad"), tp, meta) == pytest.approx(180)
    with pytest.raises(CoerceError, match="deg or rad"):
        coerce(num(30, "mm"), tp, meta)


def test_plain_numbers_reject_units():
    tp, meta = field(A.Sphere, "radius")
    with pytest.raises(CoerceError, match="plain number"):
        coerce(num(1, "deg"), tp, meta)


def test_scale_takes_number_or_vector():
    tp, meta = field(A.ObjectDef, "scale")
    assert coerce(num(2), tp, meta) == 2
    assert coerce(vec(1, 2, 3), tp, meta) == (1, 2, 3)


def test_colour_forms():
    tp, meta = field(A.Principled, "base_color")
    assert coerce(A.HexColor(hex="ff0000"), tp, meta) == A.HexColor(hex="ff0000")
    assert coerce(vec(1, 0, 0), tp, meta) == A.RGB(r=1, g=0, b=0)
    with pytest.raises(CoerceError, match="0..1"):
        coerce(vec(255, 0, 0), tp, meta)
    with pytest.raises(CoerceError, match="colour"):
        coerce(num(1), tp, meta)


def test_describe_is_readable():
    assert describe(*field(A.Principled, "base_color")) == "a colour (#rrggbb or (r, g, b)) or a texture name"
    assert describe(*field(A.Camera, "lens")) == "a length in mm"
    assert describe(*field(A.Area, "shape")) == "one of square, rectangle, disk, ellipse"


def test_with_param_on_each_statement_kind():
    shape = A.ShapeDef(name="ball", shape=A.Sphere(radius=1))
    assert with_param(shape, "radius", num(2)).shape.radius == 2
    assert with_param(shape, "at", vec(0, 0, 1)).shape.at == (0, 0, 1)
    mat = A.MaterialDef(name="red", material=A.Principled(), comments=("# keep",))
    changed = with_param(mat, "roughness", num(0.25))
    assert changed.material.roughness == 0.25 and changed.comments == ("# keep",)
    light = A.LightDef(name="key", light=A.Sun())
    assert with_param(light, "energy", num(5)).light.energy == 5
    obj = A.ObjectDef(name="o", shape="ball")
    assert with_param(obj, "material", A.Ident(name="red")).material == "red"
    world = A.World()
    assert with_param(world, "strength", num(0.5)).strength == 0.5


def test_with_param_errors_are_positioned():
    span = Span(line=3, column=5, file="p.slp")
    mat = A.MaterialDef(name="red", material=A.Principled())
    with pytest.raises(SceneError) as info:
        with_param(mat, "roughnes", num(0.3), span)
    d = info.value.diagnostics[0]
    assert "did you mean 'roughness'" in d.message and d.span == span
    with pytest.raises(SceneError, match="roughness must be at most 1"):
        with_param(mat, "roughness", num(2), span)
    csg = A.ShapeDef(name="c", shape=A.Csg(kind="union", operands=(A.Sphere(radius=1), A.Ref(name="x"))))
    with pytest.raises(SceneError, match="no parameter 'radius'"):
        with_param(csg, "radius", num(2), span)
