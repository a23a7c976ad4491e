"""Textures back from a .blend: the node chains that drive a Principled BSDF -> `texture` statements.

The scan (`backends/blender/scan.py`) describes what feeds a material's base colour, roughness
and normal as plain node data; `material_textures` recognises the chains the language can say,
which are the ones the compiler builds (`compiler/runtime/textures.py`) and the same nodes a
person wires by hand:

- `checker`, `brick`: the texture node's colour, from Object coordinates (brick `plane=xz`
  through a Mapping turned -90 degrees about x);
- `noise`, `wave`, `gradient`: the texture's factor through a two-stop linear Color Ramp (stops
  at 0 and 1: `color1`, `color2`); gradient through the Mapping that puts `start`..`end` on 0..1;
- `image`: an Image Texture through a Mapping of uniform scale, box-projected Object
  coordinates (`mapping=box`) or the UV map (`mapping=uv`). The image's bytes come from the
  .blend when it is packed (saved scenes pack theirs), else from its file, which must lie in
  the .blend's folder (a path read from a file is confined, like every asset path); they are
  written beside the output (`AssetFolder.image_path`) as PNG or JPEG, at most
  `assets.DEFAULT_MAX_IMAGE_BYTES`;
- a bump: a Bump node (distance 0.02 m, not inverted) whose height is one of the above.

Any other wiring, or a node setting the language has no word for (a noise of another type, a
wave with phase offset), is not guessed at: the material keeps the input's own value and the
report says why (`Unrecognised`). Colours are linear RGB, lengths metres.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from pathlib import Path

from scenelang import ast as sl
from scenelang.assets import DEFAULT_MAX_IMAGE_BYTES
from scenelang.backends.importers.transforms import clean, color

WAVE_UNIT = 2.0 * math.pi / 20.0
"""Blender's wave has a period of 2 pi / 20 per unit of its Scale (`compiler/runtime/textures`)."""
BUMP_DISTANCE = 0.02
"""The Bump node's distance `bump` compiles to (m)."""
ROLES = {"base_color": "color", "roughness": "roughness", "normal": "bump"}
"""Principled inputs a texture can drive -> the suffix of the texture statement's name."""
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}
TOLERANCE = 1e-4


class Unrecognised(Exception):
    """A chain the language cannot say; the message is the reason."""


ImageWriter = Callable[[str, bytes, str], str]
"""`(name, data, suffix) -> path written in the scene` (`AssetFolder.image_path`)."""


def material_textures(drivers: dict, *, folder: Path | None,
                      images: ImageWriter | None) -> tuple[dict, list[str]]:
    """The material fields the scanned `drivers` give (`base_color`, `roughness`: a texture
    AST; `bump` and `bump_strength`) and, per input not recognised, the reason.

    folder: the .blend's folder (unpacked images must lie in it; None: they are refused);
    images: writes an image beside the output (None: image textures are refused)."""
    fields: dict = {}
    reasons: list[str] = []
    for key, link in drivers.items():
        if key not in ROLES:
            continue
        try:
            if key == "normal":
                height, strength = _bump(link)
                fields["bump"] = _texture(height, folder, images)
                fields["bump_strength"] = strength
            else:
                fields[key] = _texture(link, folder, images)
        except Unrecognised as exc:
            reasons.append(f"{key.replace('_', ' ')}: {exc}")
    return fields, reasons


# ---------------------------------------------------------------- chains


def _node(link: dict | None, *types: str) -> dict:
    node = (link or {}).get("from")
    if node is None:
        raise Unrecognised("a chain too long or cut off")
    if node["type"] not in types:
        raise Unrecognised(f"driven by a {_label(node)} node, which the language has no texture for")
    return node


def _label(node: dict) -> str:
    return node["type"].removeprefix("ShaderNode")


def _number(node: dict, socket: str) -> float:
    value = node["inputs"].get(socket)
    if isinstance(value, dict):
        raise Unrecognised(f"{_label(node)}'s {socket} is driven by other nodes")
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Unrecognised(f"{_label(node)}'s {socket} is not a number")
    return float(value)


def _colour(node: dict, socket: str) -> sl.HexColor | sl.RGB:
    value = node["inputs"].get(socket)
    if not isinstance(value, list) or len(value) < 3:
        raise Unrecognised(f"{_label(node)}'s {socket} is driven by other nodes")
    return color(value[:3])


def _default(node: dict, socket: str, want: float) -> None:
    if socket in node["inputs"] and abs(_number(node, socket) - want) > TOLERANCE:
        raise Unrecognised(f"{_label(node)}'s {socket} is {_number(node, socket):g}; the "
                           f"language's {_label(node).removeprefix('Tex').lower()} has "
                           f"{want:g} only")


def _setting(node: dict, name: str, allowed: dict) -> str:
    value = node["properties"].get(name)
    if value not in allowed:
        raise Unrecognised(f"{_label(node)}'s {name.replace('_', ' ')} {value} is not one the "
                           "language has")
    return allowed[value]


def _coordinates(node: dict) -> tuple[str, list | None]:
    """What a texture reads: ('Object' | 'UV' | ..., the Mapping's (location, rotation, scale)
    or None)."""
    vector = node["inputs"].get("Vector")
    if not isinstance(vector, dict):
        raise Unrecognised(f"{_label(node)} reads generated coordinates (its vector is not "
                           "wired); the language's textures read object coordinates")
    source = _node(vector, "ShaderNodeTexCoord", "ShaderNodeMapping")
    mapping = None
    if source["type"] == "ShaderNodeMapping":
        if source["properties"].get("vector_type") != "POINT":
            raise Unrecognised("a Mapping node that is not of type Point")
        mapping = [source["inputs"].get(k) for k in ("Location", "Rotation", "Scale")]
        if not all(isinstance(v, list) and len(v) == 3 for v in mapping):
            raise Unrecognised("a Mapping node driven by other nodes")
        vector = source["inputs"].get("Vector")
        source = _node(vector if isinstance(vector, dict) else None, "ShaderNodeTexCoord")
    return vector["output"], mapping


def _near(a, b) -> bool:
    return all(abs(x - y) < TOLERANCE for x, y in zip(a, b))


def _object_coordinates(node: dict, rotation=(0.0, 0.0, 0.0)) -> None:
    output, mapping = _coordinates(node)
    if output != "Object":
        raise Unrecognised(f"{_label(node)} reads {output} coordinates; the language's "
                           "procedural textures read object coordinates")
    expected = [(0.0, 0.0, 0.0), rotation, (1.0, 1.0, 1.0)]
    if mapping is None and _near(rotation, (0, 0, 0)):
        return
    if mapping is None or not all(_near(m, e) for m, e in zip(mapping, expected)):
        raise Unrecognised(f"{_label(node)} reads object coordinates through a Mapping the "
                           "language does not make")


def _ramp(node: dict) -> tuple[sl.HexColor | sl.RGB, sl.HexColor | sl.RGB, dict]:
    """A two-stop linear Color Ramp (0 -> color1, 1 -> color2) and the node its factor is."""
    ramp = node.get("ramp") or {}
    stops = ramp.get("stops", [])
    if (ramp.get("interpolation") != "LINEAR" or len(stops) != 2
            or abs(stops[0][0]) > TOLERANCE or abs(stops[1][0] - 1) > TOLERANCE):
        raise Unrecognised("a Color Ramp other than two linear stops at 0 and 1")
    source = node["inputs"].get("Factor", node["inputs"].get("Fac"))
    texture = _node(source if isinstance(source, dict) else None, "ShaderNodeTexNoise",
                    "ShaderNodeTexWave", "ShaderNodeTexGradient")
    if source["output"] not in ("Fac", "Factor"):
        raise Unrecognised(f"the Color Ramp reads {_label(texture)}'s {source['output']}")
    return color(stops[0][1][:3]), color(stops[1][1][:3]), texture


def _bump(link: dict) -> tuple[dict, float]:
    node = _node(link, "ShaderNodeBump")
    if node["properties"].get("invert"):
        raise Unrecognised("an inverted Bump node")
    distance = _number(node, "Distance")
    if abs(distance - BUMP_DISTANCE) > TOLERANCE:
        raise Unrecognised(f"a Bump distance of {distance:g} m (the language's bump is "
                           f"{BUMP_DISTANCE:g} m)")
    height = node["inputs"].get("Height")
    if not isinstance(height, dict):
        raise Unrecognised("a Bump node without a height texture")
    strength = min(max(_number(node, "Strength"), 0.0), 1.0)
    return height, clean(strength)


def _texture(link: dict, folder: Path | None, images: ImageWriter | None) -> sl.Node:
    node = _node(link, "ShaderNodeTexChecker", "ShaderNodeTexBrick", "ShaderNodeValToRGB",
                 "ShaderNodeTexImage")
    if node["type"] != "ShaderNodeValToRGB" and link["output"] != "Color":
        raise Unrecognised(f"{_label(node)}'s {link['output']} output is used")
    if node["type"] == "ShaderNodeTexChecker":
        _object_coordinates(node)
        return sl.Checker(color1=_colour(node, "Color1"), color2=_colour(node, "Color2"),
                          scale=clean(_number(node, "Scale")))
    if node["type"] == "ShaderNodeTexBrick":
        return _brick(node)
    if node["type"] == "ShaderNodeTexImage":
        return _image(node, folder, images)
    color1, color2, texture = _ramp(node)
    if texture["type"] == "ShaderNodeTexNoise":
        return _noise(texture, color1, color2)
    if texture["type"] == "ShaderNodeTexWave":
        return _wave(texture, color1, color2)
    return _gradient(texture, color1, color2)


def _brick(node: dict) -> sl.Brick:
    try:
        _object_coordinates(node, (-math.pi / 2, 0.0, 0.0))
        plane = "xz"
    except Unrecognised:
        _object_coordinates(node)
        plane = "xy"
    for socket, want in (("Mortar Smooth", 0.1), ("Bias", 0.0)):
        _default(node, socket, want)
    for name, want in (("offset", 0.5), ("offset_frequency", 2), ("squash", 1.0),
                       ("squash_frequency", 2)):
        value = node["properties"].get(name, want)
        if not isinstance(value, (int, float)) or abs(value - want) > TOLERANCE:
            raise Unrecognised(f"Brick's {name.replace('_', ' ')} is {value}; the language's "
                               f"brick has {want:g} only")
    return sl.Brick(color1=_colour(node, "Color1"), color2=_colour(node, "Color2"),
                    mortar=_colour(node, "Mortar"), scale=clean(_number(node, "Scale")),
                    mortar_size=clean(_number(node, "Mortar Size")),
                    brick_width=clean(_number(node, "Brick Width")),
                    row_height=clean(_number(node, "Row Height")), plane=plane)


def _noise(node: dict, color1, color2) -> sl.Noise:
    _object_coordinates(node)
    _setting(node, "noise_dimensions", {"3D": "3D"})
    if node["properties"].get("noise_type", "FBM") != "FBM":
        raise Unrecognised(f"Noise's type {node['properties'].get('noise_type')} (the "
                           "language's noise is fBM)")
    _default(node, "Lacunarity", 2.0)
    if not node["properties"].get("normalize", True):
        raise Unrecognised("a Noise that is not normalized")
    return sl.Noise(color1=color1, color2=color2, scale=clean(_number(node, "Scale")),
                    detail=clean(_number(node, "Detail")),
                    roughness=clean(_number(node, "Roughness")),
                    distortion=clean(_number(node, "Distortion")))


def _wave(node: dict, color1, color2) -> sl.Wave:
    _object_coordinates(node)
    pattern = _setting(node, "wave_type", {"BANDS": "bands", "RINGS": "rings"})
    axes = {"X": "x", "Y": "y", "Z": "z"}
    axis = _setting(node, "rings_direction" if pattern == "rings" else "bands_direction", axes)
    profile = _setting(node, "wave_profile", {"SIN": "sine", "SAW": "saw", "TRI": "triangle"})
    _default(node, "Phase Offset", 0.0)
    distortion = _number(node, "Distortion")
    if distortion:  # the detail only shapes the distortion
        for socket, want in (("Detail", 2.0), ("Detail Scale", 1.0), ("Detail Roughness", 0.5)):
            _default(node, socket, want)
    return sl.Wave(color1=color1, color2=color2, scale=clean(_number(node, "Scale") / WAVE_UNIT),
                   pattern=pattern, axis=axis, profile=profile, distortion=clean(distortion))


GRADIENT_TURNS = {"x": (0.0, 0.0, 0.0), "y": (0.0, 0.0, -math.pi / 2), "z": (0.0, math.pi / 2, 0.0)}


def _gradient(node: dict, color1, color2) -> sl.Gradient:
    ease = _setting(node, "gradient_type", {"LINEAR": "linear", "EASING": "easing"})
    output, mapping = _coordinates(node)
    if output != "Object":
        raise Unrecognised(f"Gradient reads {output} coordinates")
    location, rotation, scale = mapping or ([0.0] * 3, [0.0] * 3, [1.0] * 3)
    axis = next((a for a, turn in GRADIENT_TURNS.items() if _near(rotation, turn)), None)
    if axis is None or not (scale[0] > 0 and _near(scale, [scale[0]] * 3)) or not _near(location[1:], (0, 0)):
        raise Unrecognised("Gradient reads object coordinates through a Mapping the language "
                           "does not make")
    length = 1.0 / scale[0]
    start = -location[0] * length
    return sl.Gradient(color1=color1, color2=color2, axis=axis, start=clean(start),
                       end=clean(start + length), ease=ease)


def _image(node: dict, folder: Path | None, images: ImageWriter | None) -> sl.ImageTexture:
    output, mapping = _coordinates(node)
    projection = node["properties"].get("projection")
    if output == "Object" and projection == "BOX":
        kind = "box"
    elif output == "UV" and projection == "FLAT":
        kind = "uv"
    else:
        raise Unrecognised(f"an image read from {output} coordinates with {projection} "
                           "projection (the language has box-projected object coordinates "
                           "and UV maps)")
    if node["properties"].get("extension") != "REPEAT":
        raise Unrecognised("an image that does not repeat")
    location, rotation, scale = mapping or ([0.0] * 3, [0.0] * 3, [1.0] * 3)
    if not (_near(location, (0, 0, 0)) and _near(rotation, (0, 0, 0)) and scale[0] > 0
            and _near(scale, [scale[0]] * 3)):
        raise Unrecognised("an image through a Mapping the language does not make")
    name, data = _image_bytes(node.get("image"), folder)
    suffix = next((s for magic, s in IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if suffix is None:
        raise Unrecognised(f"image {name!r} is not a PNG or JPEG file")
    if images is None:
        raise Unrecognised(f"image {name!r}: no folder to write it to (output to a file)")
    path = images(Path(name).stem or "image", data, suffix)
    return sl.ImageTexture(path=sl.String(value=path), mapping=kind, scale=clean(scale[0]))


def _image_bytes(image: dict | None, folder: Path | None) -> tuple[str, bytes]:
    """The image's name and bytes: packed in the .blend, else read from its file inside
    `folder` (resolved, so a `..` or a symbolic link that leads out is refused)."""
    if not image:
        raise Unrecognised("an Image Texture without an image")
    name = str(image.get("name", "image"))
    if image.get("packed"):
        data = base64.b64decode(image["packed"], validate=True)
    elif image.get("packed_size"):
        raise Unrecognised(f"image {name!r} is packed with {image['packed_size']:,} bytes; "
                           f"the limit is {DEFAULT_MAX_IMAGE_BYTES:,}")
    else:
        if folder is None:
            raise Unrecognised(f"image {name!r} is not packed in the file")
        path = Path(str(image.get("path", ""))).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise Unrecognised(f"image {name!r} is outside the .blend's folder ({path}); pack "
                               "it into the .blend or move it beside it")
        if not path.is_file():
            raise Unrecognised(f"image {name!r}: file {path} not found")
        if path.stat().st_size > DEFAULT_MAX_IMAGE_BYTES:
            raise Unrecognised(f"image {name!r} is over {DEFAULT_MAX_IMAGE_BYTES:,} bytes")
        data = path.read_bytes()
    if len(data) > DEFAULT_MAX_IMAGE_BYTES:
        raise Unrecognised(f"image {name!r} is over {DEFAULT_MAX_IMAGE_BYTES:,} bytes")
    return name, data
