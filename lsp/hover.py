"""Hover: parameter documentation, units and ranges from the AST models, and name definitions.

The text comes from the same place as the parameter tables of docs/language.md:
`scenelang.reference.param_info` reads each pydantic field's type, default, constraints, unit
and description. Hovering shows

- a parameter (`radius=`, `roughness=`) or a clause (`at`, `lens`, `material`): its type,
  default, range, unit and description;
- a primitive, CSG operation, material or light kind (`box`, `union`, `principled`, `sun`):
  its signature, its docstring's first paragraph and its parameters;
- a statement keyword or section name: what it introduces;
- a shape or material name: its definition in canonical form.
"""

from __future__ import annotations

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.lsp import symbols
from scenelang.lsp.context import STATEMENTS_OF, context_at, next_token, word_at
from scenelang.parser import parse_scene
from scenelang.printer import format_number, print_statement
from scenelang.reference import ParamInfo, model_params, param_info

KINDS: dict[str, type[A.Node]] = {**A.PRIMITIVES, **A.MATERIAL_KINDS, **A.LIGHT_KINDS,
                                  **A.TEXTURE_KINDS}
"""Calls whose parameters are named: primitives, materials, lights and textures, by kind."""
CLAUSE_MODELS: dict[str, type[A.Node]] = {
    "shape": A.ShapeBase, "object": A.ObjectDef, "camera": A.Camera, "world": A.World}
"""The model whose fields are a statement's clauses (a shape's clauses are its transforms)."""
KEYWORDS = {
    "scenelang": "`scenelang 1`: the version header every scene starts with.",
    "geometry": "`geometry { shape NAME = EXPR ... }`: shape templates (placed by objects).",
    "materials": "`materials { material NAME = principled(...) ... }`: surface materials.",
    "composition": "`composition { object ... camera ... }`: objects placing shapes, and the camera.",
    "lighting": "`lighting { world ... light NAME = ... }`: the world background and the lights.",
    "shape": "`shape NAME = EXPR [at V] [rotate V] [scale S]` (geometry): a primitive, a CSG "
             "operation or an earlier shape's name.",
    "material": "`material NAME = principled(PARAM=VALUE, ...)` (materials).",
    "texture": "`texture NAME = checker(...) | noise(...) | wave(...) | brick(...) | gradient(...) "
               "| image(path=...)` (materials): used by name in a material's base_color, "
               "roughness or bump.",
    "object": "`object NAME = SHAPE [at V] [rotate V] [scale S] [material M]` (composition); "
              "also `object NAME = instance SOURCE ...` and `object NAME = array(SOURCE, count=N, "
              "offset=V | around=P) ...`.",
    "group": "`group NAME [at V] [rotate V] [scale S] { object ... group ... light ... }` "
             "(composition): members placed together, moved by the group's transform (an Empty in "
             "Blender), a light's at/direction/look_at too.",
    "instance": "`object NAME = instance SOURCE [at V] [rotate V] [scale S] [material M]`: a copy "
                "of an object, group or shape; clauses not written are the source's.",
    "array": "`object NAME = array(SOURCE, count=N, offset=(dx, dy, dz) | around=(x, y, z) "
             "[, angle=A]) [at V] ...`: N copies in a row or around a vertical axis.",
    "camera": "`camera NAME at V [look_at V | rotate V] [lens L | fov A] [sensor S] "
              "[resolution (W, H)]` (composition; at most one).",
    "light": "`light NAME = sun(...) | point(...) | spot(...) | area(...)` (lighting, or in a "
             "composition group, placed relative to it).",
    "world": "`world [color C] [strength S]` (lighting; at most one): background and ambient light.",
    "let": "`let NAME = EXPR`: a named number, after the header and before the sections; any "
           "number may then be arithmetic on it (`at (0, 0, h / 2)`; + - * /, parentheses).",
}


def clause_names(statement: str | None) -> list[str]:
    """The clauses a statement takes, in canonical order (none for material and light)."""
    if statement == "shape":
        return list(A.ShapeBase.TRANSFORMS)
    model = CLAUSE_MODELS.get(statement or "")
    return [n for n in A.param_names(model) if n != "shape"] if model else []


def summary(cls: type) -> str:
    """The first paragraph of a model's docstring, on one line."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def signature(kind: str, params: list[ParamInfo]) -> str:
    """`box(size=...)`: a kind with its required parameters."""
    return f"{kind}({', '.join(f'{p.name}=...' for p in params if p.default is None)})"


def describe_param(p: ParamInfo) -> str:
    """`number, default 0.5, range 0..1, unit m`: the facts of one parameter."""
    facts = [p.type, "required" if p.default is None else f"default `{p.default}`"]
    if p.range:
        facts.append(f"range {p.range}")
    if p.unit:
        facts.append(f"unit {p.unit}")
    return ", ".join(facts)


def param_markdown(owner: str, p: ParamInfo) -> str:
    return f"**`{p.name}`** ({owner}): {p.description}\n\n{describe_param(p)}"


def kind_markdown(kind: str) -> str:
    """Signature, summary and parameter list of a primitive, CSG operation, material or light."""
    if kind in A.CSG_OPS:
        return f"```scenelang\n{kind}(SHAPE, SHAPE, ...)\n```\n\n{summary(A.Csg)}"
    params = model_params(KINDS[kind])
    rows = "\n".join(f"- `{p.name}`: {describe_param(p)}. {p.description}" for p in params)
    return f"```scenelang\n{signature(kind, params)}\n```\n\n{summary(KINDS[kind])}\n\n{rows}"


def _definition_markdown(text: str, occ: symbols.Occurrence, found: list[symbols.Occurrence]) -> str | None:
    target = symbols.definition_of(found, occ)
    if target is None:
        return f"{occ.namespace} `{occ.name}` is not defined"
    try:
        scene = parse_scene(text)
    except SceneError:
        scene = None
    statement = None
    if scene is not None:
        table = (scene.shapes() if occ.namespace == "shape" else
                 {c.name: c for c in scene.constants} if occ.namespace == "constant"
                 else scene.textures_by_name() if occ.namespace == "texture"
                 else scene.materials_by_name())
        statement = table.get(occ.name)
    if statement is not None:
        shown = print_statement(statement).rstrip("\n")
    else:  # the scene does not parse as a whole: show the definition's line as written
        line_start = text.rfind("\n", 0, target.start) + 1
        line_end = text.find("\n", target.start)
        shown = text[line_start: line_end if line_end >= 0 else len(text)].strip()
    line = text.count("\n", 0, target.start) + 1
    value = f" (= {format_number(statement.value)})" if isinstance(statement, A.LetDef) else ""
    return f"```scenelang\n{shown}\n```\n\n{occ.namespace}{value} defined on line {line}"


def hover(text: str, offset: int) -> tuple[str, tuple[int, int]] | None:
    """`(markdown, (start, end))` for the word at `offset`, or None when there is nothing to say."""
    word = word_at(text, offset)
    if word is None:
        return None
    start, end = word
    name = text[start:end]
    found = symbols.occurrences(text)
    occ = symbols.at_offset(found, offset)
    if occ is not None and found is not None:
        shown = _definition_markdown(text, occ, found)
        return (shown, (occ.start, occ.end)) if shown else None
    ctx = context_at(text, start)
    if ctx.in_comment:
        return None
    after = next_token(text, end)
    top = ctx.top
    markdown = None
    if top is not None and top.kind == "call":
        if after is not None and after.text == "=" and top.name in KINDS \
                and name in A.param_names(KINDS[top.name]):
            markdown = param_markdown(top.name, param_info(KINDS[top.name], name))
        elif top.name in A.CSG_OPS and top.state in ("name", "after") and name in A.ShapeBase.TRANSFORMS:
            markdown = param_markdown("shape transform", param_info(A.ShapeBase, name))
    if markdown is None and after is not None and after.text == "(" and (name in KINDS or name in A.CSG_OPS):
        markdown = kind_markdown(name)
    if markdown is None and (top is None or top.kind == "section") and ctx.state == "clause" \
            and name in clause_names(ctx.statement):
        markdown = param_markdown(f"{ctx.statement} clause",
                                  param_info(CLAUSE_MODELS[ctx.statement], name))
    if markdown is None and name in KEYWORDS and (top is None or top.kind == "section"):
        if name in STATEMENTS_OF or name == "scenelang" or ctx.state in (None, "clause"):
            markdown = KEYWORDS[name]
    return (markdown, (start, end)) if markdown else None
