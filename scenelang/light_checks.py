"""Checks of lights written in composition groups (the validator's part for them).

A light may stand in a `group { }` (`ast.GroupDef.members`); copies of the group made by an
`instance` or `array` copy it under the copy's name (`COPY_LIGHT`, `ARRAY_1_LIGHT`, ...; see
`scenelang.placement`). Names inside the composition are checked with the objects' names (one
namespace, groups, instances and arrays expanded); what is left is the lighting section: a light
in a group (or a copy of one) may not share a name with a lighting-section statement, and all
lights together count against `Limits.max_lights`.
"""

from __future__ import annotations

from collections.abc import Iterator

from scenelang import ast as A
from scenelang.resolve import ResolvedScene

Problem = tuple[str, A.Statement, str | None]
"""`(message, statement to report it at, hint)`."""


def group_light_problems(scene: ResolvedScene, max_lights: int) -> Iterator[Problem]:
    """The problems of `scene`'s lights in groups: a name a lighting-section statement has
    (reported at the light as written in its group, once per light), and more lights than
    `max_lights` in all (when the lighting section alone is within the limit)."""
    lighting = {st.name: st for st in scene.scene.lighting.statements}
    placed = [light for light in scene.lights if light.parent is not None]
    reported: set[int] = set()
    for light in placed:
        other = lighting.get(light.name)
        if other is None or id(light.definition) in reported:
            continue
        reported.add(id(light.definition))
        where = f" (line {other.span.line})" if other.span is not None else ""
        copy = (f"the copy '{light.name}' of light '{light.definition.name}'"
                if light.name != light.definition.name else f"light '{light.name}'")
        yield (f"{copy} in group '{light.parent}' has the name of the lighting section's "
               f"{other.stmt} '{other.name}'{where}: light names are unique across the "
               f"composition and lighting", light.definition,
               "rename one of them (a copy's lights are named COPY_LIGHT, an array's ARRAY_1_LIGHT, ...)")
    section_lights = len(scene.lights) - len(placed)
    if len(scene.lights) > max_lights >= section_lights and placed:
        yield (f"too many lights: {len(scene.lights):,} counting the lights in groups and their "
               f"copies; the limit is {max_lights}", placed[0].definition,
               "lower an array's count, or take the light out of the copied group")
