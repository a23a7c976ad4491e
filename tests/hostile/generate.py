"""Regenerate the hostile-input corpus (tests/hostile/): `python tests/hostile/generate.py`.

- `scenes/issue-*.sl`: the cases of issue 11 (over-long names, CR-only line endings, non-ASCII
  digits and spaces, a 131-million-triangle scene, huge finite sizes, bidi controls);
- `scenes/mut-*.sl`: deterministic mutations of `examples/*.sl` (truncation, a dropped or extra
  brace, numbers made huge, negative, NaN or infinite, an over-long or invalid name, a duplicate
  statement, an unknown parameter, a misspelt keyword, a stray non-ASCII character, a control
  character, nesting bombs); only mutations the checker refuses are kept, and `expected.json`
  records for each its exit code and the first error's line;
- `answers/*.md`: model answers (patches) a proposer might send, each of which must end as a
  rejected proposal;
- `scripts/*.py`: known Python sandbox escapes `check_script` must refuse.

Files are written with explicit bytes (CR, NUL-free control characters, non-ASCII) so the corpus is
exactly what the tests read.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LONG = "n" * 70

ISSUE_SCENES: dict[str, bytes] = {
    "issue-long-shape-name": f"scenelang 1\ngeometry {{\n  shape {LONG} = box(size=(1, 1, 1))\n}}\n"
                             f"composition {{\n  object o = {LONG}\n}}\n".encode(),
    "issue-long-object-name": f"scenelang 1\ngeometry {{\n  shape b = box(size=(1, 1, 1))\n}}\n"
                              f"composition {{\n  object {LONG} = b\n}}\n".encode(),
    "issue-long-material-name": f"scenelang 1\nmaterials {{\n  material {LONG} = principled()\n}}\n"
                                .encode(),
    "issue-long-light-name": f"scenelang 1\nlighting {{\n  light {LONG} = sun()\n}}\n".encode(),
    "issue-long-camera-name": f"scenelang 1\ncomposition {{\n  camera {LONG} at (1, 1, 1) "
                              f"look_at (0, 0, 0)\n}}\n".encode(),
    "issue-long-reference": f"scenelang 1\ngeometry {{\n  shape a = box(size=(1, 1, 1))\n"
                            f"  shape b = union(a, {LONG})\n}}\n".encode(),
    "issue-cr-only-comment": b"scenelang 1\r# a comment\rgeometry {\r  shape b = box(size=(1, 1, 1))\r"
                             b"  shape c = sphere(radius=-1)\r}\r",
    "issue-cr-only-error-position": b"scenelang 1\rgeometry {\r  shape b = box(size=(1, 1))\r}\r",
    "issue-arabic-digit": "scenelang 1\ngeometry {\n  shape b = sphere(radius=\u0661)\n}\n".encode(),
    "issue-fullwidth-digits": "scenelang 1\ngeometry {\n  shape b = sphere(radius=1, segments=\uff13\uff12)\n}\n"
                              .encode(),
    "issue-nbsp-in-vector": "scenelang 1\ngeometry {\n  shape b = box(size=(1,\u00a01, 1))\n}\n".encode(),
    "issue-line-separator-in-vector": "scenelang 1\ngeometry {\n  shape b = box(size=(1,\u20281, 1))\n}\n"
                                      .encode(),
    "issue-bidi-override": "scenelang 1\ngeometry {\n  shape b\u202e = box(size=(1, 1, 1))\n}\n".encode(),
    "issue-unclosed-brace-with-colour": b"scenelang 1\nmaterials {\n  material m = principled(base_color=#ffd9a0)\n",
    "issue-keyword-typo": b"scenelang 1\ngeometry {\n  shape leg = box(size=(1, 1, 1))\n}\n"
                          b"composition {\n  objct b = leg\n}\n",
}


EXPORT_SCENES: dict[str, bytes] = {
    # valid scenes whose meshes no file format can store: `export` must refuse them (exit 1)
    "export-huge-finite-size": b"scenelang 1\ngeometry {\n  shape b = box(size=(1e300, 1e300, 1e300))\n"
                               b"}\ncomposition {\n  object o = b scale 1e10\n}\n",
    "export-beyond-float32": b"scenelang 1\ngeometry {\n  shape b = box(size=(1e30, 1e30, 1e30))\n"
                             b"}\ncomposition {\n  object o = b scale 1e10\n}\n",
}


def triangle_bomb() -> bytes:
    lines = ["scenelang 1", "geometry {", "  shape s = sphere(radius=1, segments=256, rings=256)",
             "}", "composition {"]
    lines += [f"  object o{i} = s at ({i % 40}, {i // 40}, 0)" for i in range(1000)]
    return ("\n".join(lines + ["}", ""])).encode()


ISSUE_SCENES["issue-triangle-bomb"] = triangle_bomb()


# ---------------------------------------------------------------------- mutations

NUMBER = re.compile(r"(?<![\w#.])\d+(?:\.\d+)?(?![\w.])")
NAME_DEF = re.compile(r"^(\s*(?:shape|material|object|light|camera) )(\w+)", re.M)
PARAM = re.compile(r"\b(\w+)=")


def mutations(name: str, text: str, rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    numbers = list(NUMBER.finditer(text))
    names = list(NAME_DEF.finditer(text))
    params = list(PARAM.finditer(text))

    def at(match, new, group=0):
        return text[: match.start(group)] + new + text[match.end(group):]

    if numbers:
        for label, value in (("huge", "1e400"), ("nan", "nan"), ("neg", "-7"),
                             ("inf", "inf"), ("hex", "0x10")):
            m = rng.choice(numbers)
            out.append((f"number-{label}", at(m, value)))
    if names:
        m = rng.choice(names)
        out.append(("name-long", at(m, "x" * 80, 2)))
        out.append(("name-digit", at(m, "9" + m.group(2), 2)))
        m = rng.choice(names)
        line_end = text.find("\n", m.start())
        out.append(("duplicate", text[:line_end + 1] + text[m.start():line_end + 1]
                    + text[line_end + 1:]))
        out.append(("keyword-typo", text[: m.start(1)] + m.group(1).replace(
            m.group(1).strip(), m.group(1).strip()[:-1] + "x") + text[m.end(1):]))
    if params:
        m = rng.choice(params)
        out.append(("unknown-param", at(m, m.group(1) + "zz=")))
    closes = [i for i, c in enumerate(text) if c == "}"]
    if closes:
        i = rng.choice(closes)
        out.append(("drop-brace", text[:i] + text[i + 1:]))
        out.append(("extra-brace", text[:i] + "}}" + text[i + 1:]))
    cut = rng.randrange(len(text) // 3, len(text) - 2)
    out.append(("truncated", text[:cut]))
    body = text.find("{")
    if body > 0:
        pos = text.find("\n", body) + 1
        out.append(("nbsp", text[:pos] + "  shape\u00a0q = box(size=(1, 1, 1))\n" + text[pos:]))
        out.append(("control", text[:pos] + "\x07" + text[pos:]))
        out.append(("nesting-bomb", text[:pos] + "  shape q = box(size=" + "(" * 80 + "1"
                    + ")" * 80 + ")\n" + text[pos:]))
        out.append(("header-version", text.replace("scenelang 1", "scenelang 2", 1)))
    return out


def keep(data: bytes) -> dict | None:
    """Its expectation (exit code 1 and the first error's position) if the checker refuses it."""
    from scenelang.errors import SceneError
    from scenelang.parser import parse_scene
    from scenelang.validate import check

    try:
        check(parse_scene(data.decode("utf-8"), "x.sl"))
    except SceneError as exc:
        first = exc.errors[0]
        if first.span is None:
            return None
        return {"exit": 1, "line": first.span.line}
    return None


def main() -> int:
    sys.path.insert(0, str(ROOT))
    expected: dict[str, dict] = {}
    scenes = HERE / "scenes"
    for old in scenes.glob("*.sl"):
        old.unlink()
    for name, data in ISSUE_SCENES.items():
        (scenes / f"{name}.sl").write_bytes(data)
        exp = keep(data)
        if exp is None:
            raise SystemExit(f"{name}: the checker accepts it")
        expected[f"{name}.sl"] = exp
    for name, data in EXPORT_SCENES.items():
        (scenes / f"{name}.sl").write_bytes(data)
        if keep(data) is not None:
            raise SystemExit(f"{name}: expected a valid scene")
        expected[f"{name}.sl"] = {"exit": 0, "export_exit": 1}
    rng = random.Random(11)
    for example in sorted((ROOT / "examples").glob("*.sl")):
        text = example.read_text(encoding="utf-8")
        for label, mutated in mutations(example.stem, text, rng):
            data = mutated.encode("utf-8")
            exp = keep(data)
            if exp is None:
                continue
            file = f"mut-{example.stem}-{label}.sl"
            (scenes / file).write_bytes(data)
            expected[file] = exp
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"{len(expected)} scene cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
