"""The patch engine: applying `patch`/`replace` blocks to a scene, and diffing two scenes.

Semantics (one `Patch` edits one section; a `PatchFile` applies its patches in order):

- `set NAME.PARAM = VALUE` changes one parameter of a statement of the patch's section (of the
  shape, material or light that shape, material and light statements define), typed like the
  parser types it (`scenelang.coerce.with_param`); the statement keeps its place and comments.
  `set world.PARAM` on a scene without a world statement adds one (with the defaults). In
  composition, `set MEMBER.PARAM` also reaches a member of a group (an object or a light written
  inside `group { }`, at any depth), which the group then holds changed.
- a full statement (`PutOp`) replaces the same-named statement in place, comments and all, or is
  appended to the section when the name is new;
- `remove NAME` deletes a statement;
- `replace SECTION { statements }` swaps all of the section's statements (the section's own
  comments are kept).

Statements the patch does not touch keep their comments and spans; the statements it writes
carry no spans in the returned scene (their positions were in the patch text). After all patches are applied the
result is validated (`scenelang.validate`) and any error rejects the whole patch with a
`SceneError` whose diagnostics are positioned in the patch where the patch caused them (removing
a material that an object still uses is reported at the `remove`), so they can be fed back to
whoever wrote the patch verbatim.

`diff(a, b)` returns the patches, one per changed section in section order, that turn `a` into
`b` (statements, their order and their comments; scene- and section-level comments cannot be
expressed by patches and are kept from `a`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from scenelang import ast as A
from scenelang.coerce import with_param
from scenelang.constants import exprs_of, reevaluate
from scenelang.errors import Diagnostic, SceneError, Span, with_article
from scenelang.validate import Finding, Limits, close_names, describe, findings

# statement kinds other statements refer to by name (`Finding.missing` kinds)
REFERENCED_KINDS = ("shape", "material", "texture")


def _patches(patch: A.Patch | A.PatchFile) -> tuple[A.Patch, ...]:
    if isinstance(patch, A.PatchFile):
        return patch.patches
    if isinstance(patch, A.Patch):
        return (patch,)
    raise SceneError(f"expected a patch, got {type(patch).__name__}")


def respan(value: Any, span: Span | None) -> Any:
    """`value` with every node's span (nested ones too) set to `span`."""
    if isinstance(value, A.Node):
        update: dict[str, Any] = {"span": span}
        for name in type(value).model_fields:
            if name != "span":
                field = getattr(value, name)
                if isinstance(field, (A.Node, tuple)):
                    update[name] = respan(field, span)
        return value.model_copy(update=update)
    if isinstance(value, tuple):
        return tuple(respan(v, span) for v in value)
    return value


class _Applier:
    """Applies ops to mutable copies of the sections and remembers what each op did."""

    def __init__(self, scene: A.Scene, only: str | None):
        self.scene = scene
        self.only = only
        self.statements: dict[str, list] = {s.name: list(s.statements) for s in scene.sections()}
        self.statements["constants"] = list(scene.constants)  # `patch constants { let ... }`
        self.errors: list[Diagnostic] = []
        # (section, name) -> the op or replace block that last wrote that statement
        self.touched: dict[tuple[str, str], A.Node] = {}
        # (reference kind, name) -> the op or replace block that removed it
        self.removed: dict[tuple[str, str], A.Node] = {}
        self.patch_of_section: dict[str, A.Patch] = {}
        self.first_patch: A.Patch | None = None

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(message, span, hint=hint))

    def index(self, section: str, name: str) -> int | None:
        for i, st in enumerate(self.statements[section]):
            if st.name == name:
                return i
        return None

    def elsewhere(self, section: str, name: str) -> str:
        """` ('x' is a camera, in the composition section)` when the name lives elsewhere."""
        for other, statements in self.statements.items():
            if other != section:
                for st in statements:
                    if st.name == name:
                        article = "an" if st.stmt[0] in "aeiou" else "a"
                        return f" ('{name}' is {article} {st.stmt}, in the {other} section)"
        return ""

    def unknown(self, section: str, name: str, span: Span | None) -> None:
        names = [st.name for st in self.statements[section]]
        found = self.elsewhere(section, name)
        self.error(f"there is no statement named '{name}' in {section}"
                   + (found or close_names(name, names)), span)

    # -------------------------------------------------------------- patches and ops

    def apply(self, patch: A.Patch) -> None:
        self.first_patch = self.first_patch or patch
        if self.only is not None and patch.section != self.only:
            self.error(f"this patch edits '{patch.section}', but this stage may only edit "
                       f"'{self.only}'", patch.span,
                       hint=f"write `patch {self.only} {{ ... }}` and change only that section")
            return
        self.patch_of_section[patch.section] = patch
        if patch.replace:
            self.replace(patch)
            return
        for op in patch.ops:
            if isinstance(op, A.PutOp):
                self.put(patch, op)
            elif isinstance(op, A.RemoveOp):
                self.remove(patch, op)
            elif isinstance(op, A.SetOp):
                self.set(patch, op)
            else:  # pragma: no cover - the AST admits no other op
                self.error(f"unknown patch operation {type(op).__name__}", patch.span)

    def _statement_of(self, patch: A.Patch, op: A.PutOp) -> A.Node | None:
        st = op.statement
        home = A.SECTION_OF[st.stmt]
        if home != patch.section:
            self.error(f"{with_article(st.stmt)} statement belongs in the {home} section; this patch edits "
                       f"{patch.section}", op.span or st.span or patch.span)
            return None
        if st.span is None and (op.span or patch.span) is not None:
            st = st.model_copy(update={"span": op.span or patch.span})
        return st

    def put(self, patch: A.Patch, op: A.PutOp) -> None:
        st = self._statement_of(patch, op)
        if st is None:
            return
        section = patch.section
        at = self.index(section, st.name)
        if at is None:
            self.statements[section].append(st)
        else:
            self.statements[section][at] = st
        self.touched[(section, st.name)] = op
        self._unremove(st)

    def _unremove(self, st: A.Node) -> None:
        if st.stmt in REFERENCED_KINDS:  # type: ignore[attr-defined]
            self.removed.pop((st.stmt, st.name), None)  # type: ignore[attr-defined]

    def _mark_removed(self, st: A.Node, by: A.Node) -> None:
        if st.stmt in REFERENCED_KINDS:  # type: ignore[attr-defined]
            self.removed[(st.stmt, st.name)] = by  # type: ignore[attr-defined]

    def remove(self, patch: A.Patch, op: A.RemoveOp) -> None:
        section = patch.section
        at = self.index(section, op.name)
        if at is None:
            self.unknown(section, op.name, op.span or patch.span)
            return
        st = self.statements[section].pop(at)
        self.touched.pop((section, op.name), None)
        self._mark_removed(st, op)
        if section == "constants":
            self.removed[("constant", op.name)] = op

    def set(self, patch: A.Patch, op: A.SetOp) -> None:
        section = patch.section
        span = op.span or patch.span
        at = self.index(section, op.target)
        if at is None and section == "lighting" and op.target == "world":
            self.statements[section].append(A.World(span=span))
            at = len(self.statements[section]) - 1
        if at is None and section == "composition" and self._set_member(op, span):
            return
        if at is None and section == "lighting" and self._set_member(op, span, lights_only=True):
            return
        if at is None:
            self.unknown(section, op.target, span)
            return
        old = self.statements[section][at]
        try:
            new = with_param(old, op.param, op.value, span)
        except SceneError as exc:
            self.errors.extend(exc.diagnostics)
            return
        except (ValidationError, ValueError, TypeError) as exc:
            self.error(f"cannot set {op.target}.{op.param}: {exc}", span)
            return
        # problems the validator finds in this statement now belong to this op
        self.statements[section][at] = respan(new, span)
        self.touched[(section, op.target)] = op

    def _set_member(self, op: A.SetOp, span: Span | None, lights_only: bool = False) -> bool:
        """`set MEMBER.PARAM` for a member of a composition group (any depth): True when a group
        holds a member of that name (then set, or its error reported). lights_only: only a light
        member (a lighting patch's `set` reaches the lights written in groups, nothing else)."""
        def changed(group: A.GroupDef) -> A.GroupDef | None:
            for i, member in enumerate(group.members):
                new = None
                if member.name == op.target and (isinstance(member, A.LightDef) or not lights_only):
                    new = respan(with_param(member, op.param, op.value, span), span)
                elif isinstance(member, A.GroupDef):
                    inner = changed(member)
                    new = inner.model_copy(update={"span": span}) if inner is not None else None
                if new is not None:
                    members = (*group.members[:i], new, *group.members[i + 1:])
                    return group.model_copy(update={"members": members})
            return None

        statements = self.statements["composition"]
        for at, st in enumerate(statements):
            if isinstance(st, A.GroupDef):
                try:
                    new = changed(st)
                except SceneError as exc:
                    self.errors.extend(exc.diagnostics)
                    return True
                except (ValidationError, ValueError, TypeError) as exc:
                    self.error(f"cannot set {op.target}.{op.param}: {exc}", span)
                    return True
                if new is not None:
                    statements[at] = new
                    self.touched[("composition", st.name)] = op
                    self.touched[("composition", op.target)] = op
                    return True
        return False

    def replace(self, patch: A.Patch) -> None:
        section = patch.section
        for st in self.statements[section]:
            self.touched.pop((section, st.name), None)
            self._mark_removed(st, patch)
        self.statements[section] = []
        for op in patch.ops:
            st = self._statement_of(patch, op)  # type: ignore[arg-type]
            if st is None:
                continue
            self.statements[section].append(st)  # duplicates are left to the validator
            self.touched[(section, st.name)] = op
            self._unremove(st)

    # -------------------------------------------------------------- result

    def result(self, clean: bool = False) -> A.Scene:
        """The patched scene. `clean` drops the spans of the statements the patch wrote: they
        point into the patch text, which later diagnostics about the scene must not cite."""
        update = {}
        for section in self.scene.sections():
            statements = self.statements[section.name]
            if clean:
                statements = [respan(st, None) if (section.name, st.name) in self.touched else st
                              for st in statements]
            update[section.name] = section.model_copy(update={"statements": tuple(statements)})
        constants = self.statements["constants"]
        if clean:
            constants = [respan(c, None) if ("constants", c.name) in self.touched else c
                         for c in constants]
        update["constants"] = tuple(constants)
        return self.scene.model_copy(update=update)

    def position(self, errors: list[Finding], result: A.Scene,
                 before: set[str]) -> list[Diagnostic]:
        """Re-position validation errors at the patch ops that caused them.

        References left dangling by a removal become one error at the `remove` (or `replace`)
        naming every user; errors in statements the patch wrote already point into the patch;
        errors the scene had before stay where they are; other new errors (say, a CSG depth
        exceeded through a changed reference) move to the patch of their section.
        """
        out: list[Diagnostic | tuple[str, str]] = []
        users: dict[tuple[str, str], list[str]] = {}
        for f in errors:
            if f.missing is not None and f.missing in self.removed:
                if f.missing not in users:
                    users[f.missing] = []
                    out.append(f.missing)
                users[f.missing].append(self._user(f, result))
                continue
            d = f.diagnostic
            if (f.section, f.statement) in self.touched or d.message in before:
                out.append(d)
                continue
            patch = self.patch_of_section.get(f.section or "") or self.first_patch
            where = f"; reported at {d.span.label()}" if d.span is not None else ""
            out.append(Diagnostic(d.message, patch.span if patch else d.span, d.severity,
                                  hint=f"caused by this patch{where}"))
        return [item if isinstance(item, Diagnostic) else self._dangling(item, users[item])
                for item in out]

    def _user(self, f: Finding, result: A.Scene) -> str:
        referrer = result.section(f.section).get(f.statement) if f.section else None
        if referrer is None:
            return f"'{f.statement}'"
        who = describe(referrer)
        if (f.section, f.statement) not in self.touched and referrer.span is not None:
            who += f" ({referrer.span.file or 'scene'} line {referrer.span.line})"
        return who

    def _dangling(self, key: tuple[str, str], users: list[str]) -> Diagnostic:
        kind, name = key
        by = self.removed[key]
        verb = "remove" if isinstance(by, A.RemoveOp) else "drop"
        uses = "uses" if len(users) == 1 else "use"
        return Diagnostic(f"cannot {verb} {kind} '{name}': {', '.join(users)} still {uses} it",
                          by.span, hint=f"keep {kind} '{name}', or change what uses it")


# ---------------------------------------------------------------- public API


def apply_patch(scene: A.Scene, patch: A.Patch | A.PatchFile, *, section: str | None = None,
                limits: Limits | None = None) -> A.Scene:
    """The scene with `patch` applied (a `Patch`, or a `PatchFile`'s patches in order).

    `section` restricts which section the patches may edit (a stage edits only its own);
    `limits` are the validator's resource limits. Raises `SceneError` with every problem found:
    unknown names, bad values, a patch for another section, and any validation error of the
    result (positioned at the op that caused it). Never raises anything else.
    """
    if not isinstance(scene, A.Scene):
        raise SceneError(f"expected a scene, got {type(scene).__name__}")
    applier = _Applier(scene, section)
    for p in _patches(patch):
        applier.apply(p)
    if applier.errors:
        raise SceneError(applier.errors)
    try:
        result = applier.result()
        if scene.constants or result.constants:  # recompute every expression from them
            result = _reevaluated(result, applier)
        problems = [f for f in findings(result, limits) if f.diagnostic.severity == "error"]
    except RecursionError:
        raise SceneError("the patched scene is nested too deeply",
                         applier.first_patch.span if applier.first_patch else None) from None
    if problems:
        before = {f.diagnostic.message for f in findings(scene, limits)
                  if f.diagnostic.severity == "error"}
        raise SceneError(applier.position(problems, result, before))
    result = applier.result(clean=True)
    return reevaluate(result) if scene.constants or result.constants else result


def _reevaluated(result: A.Scene, applier: _Applier) -> A.Scene:
    """`reevaluate(result)`, a constant the patch removed but something still uses reported at
    the `remove` (with where it is used)."""
    try:
        return reevaluate(result)
    except SceneError as exc:
        out = []
        for d in exc.diagnostics:
            name = d.message.split("'")[1] if d.message.startswith("unknown constant '") else None
            by = applier.removed.get(("constant", name or ""))
            if by is not None:
                where = f" ({d.span.label()})" if d.span is not None else ""
                d = Diagnostic(f"cannot remove constant '{name}': an expression still uses it{where}",
                               by.span, hint=f"keep `let {name}`, or change what uses it")
            out.append(d)
        raise SceneError(out) from None


def apply_patches(scene: A.Scene, patches: Iterable[A.Patch], **kwargs: Any) -> A.Scene:
    """`apply_patch` for a sequence of patches (as `diff` returns them)."""
    patches = tuple(patches)
    if not patches:
        return scene
    return apply_patch(scene, A.PatchFile(patches=patches), **kwargs)


# ---------------------------------------------------------------- diff


def _inner(st: A.Node) -> tuple[A.Node, str | None]:
    for field in ("shape", "material", "light", "texture"):
        node = getattr(st, field, None)
        if isinstance(node, A.Node):
            return node, field
    return st, None


def to_value(x: Any) -> A.Node | None:
    """The raw patch literal for a typed field value, or None when no literal can express it."""
    if isinstance(x, A.HexColor):
        return A.HexColor(hex=x.hex)
    if isinstance(x, A.RGB):
        return to_value((x.r, x.g, x.b))
    if isinstance(x, A.String):
        return A.String(value=x.value)
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return A.Number(value=float(x)) if math.isfinite(x) else None
    if isinstance(x, str):
        try:
            return A.Ident(name=x)
        except ValidationError:
            return None
    if isinstance(x, tuple) and 1 <= len(x) <= 4:
        items = [to_value(v) for v in x]
        if all(isinstance(i, A.Number) for i in items):
            return A.Vector(items=tuple(items))  # type: ignore[arg-type]
    return None


def _set_op(old: A.Node, new: A.Node) -> A.SetOp | None:
    """A single `set` turning `old` into `new`, when exactly one parameter differs."""
    if type(old) is not type(new) or (old.comments, old.trailing_comment) != (  # type: ignore
            new.comments, new.trailing_comment):  # type: ignore[attr-defined]
        return None
    (inner_old, field), (inner_new, _) = _inner(old), _inner(new)
    if type(inner_old) is not type(inner_new) or getattr(inner_old, "kind", None) != getattr(
            inner_new, "kind", None):
        return None
    if field and any(getattr(old, f) != getattr(new, f) for f in type(old).model_fields
                     if f not in ("span", field)):
        return None
    keys = [f for f in type(inner_old).model_fields if f not in ("span", "stmt", "kind", "exprs")]
    changed = [f for f in keys if getattr(inner_old, f) != getattr(inner_new, f)
               or exprs_of(inner_old, f) != exprs_of(inner_new, f)]
    if len(changed) != 1 or changed[0] in ("name", "comments", "trailing_comment"):
        return None
    value = _as_written(to_value(getattr(inner_new, changed[0])), changed[0],
                        exprs_of(inner_new, changed[0]))
    if value is None:
        return None
    try:
        if with_param(old, changed[0], value) != new:
            return None
    except SceneError:
        return None
    return A.SetOp(target=old.name, param=changed[0], value=value)  # type: ignore[attr-defined]


def _as_written(value: A.Node | None, path: str, written: dict[str, A.Node]) -> A.Node | None:
    """A raw value with the numbers written as arithmetic (`written`: path -> expression) given
    their expressions, so `set` keeps them (`set t.at = (0, 0, h / 2)`)."""
    if isinstance(value, A.Number) and path in written:
        return value.model_copy(update={"expr": written[path]})
    if isinstance(value, A.Vector) and written:
        return value.model_copy(update={"items": tuple(
            _as_written(item, f"{path}.{i}", written) for i, item in enumerate(value.items))})
    return value


def _replace_patch(b: A.Section) -> A.Patch:
    return A.Patch(section=b.name, replace=True,
                   ops=tuple(A.PutOp(statement=st) for st in b.statements))


def _diff_section(a: A.Section, b: A.Section) -> A.Patch:
    names_a = [st.name for st in a.statements]
    names_b = [st.name for st in b.statements]
    fallback = _replace_patch(b)
    if len(set(names_a)) != len(names_a) or len(set(names_b)) != len(names_b):
        return fallback
    in_b = set(names_b)
    common = [n for n in names_a if n in in_b]
    # puts append new statements at the end, so b must be: the common ones in a's order, then
    # the new ones
    if names_b[: len(common)] != common:
        return fallback
    old, new = a.get, b.get
    ops: list[A.Node] = [A.RemoveOp(name=n) for n in names_a if n not in in_b]
    for n in common:
        if old(n) != new(n):
            ops.append(_set_op(old(n), new(n)) or A.PutOp(statement=new(n)))
    ops.extend(A.PutOp(statement=new(n)) for n in names_b[len(common):])
    patch = A.Patch(section=a.name, ops=tuple(ops))
    if len(ops) > len(b.statements):
        return fallback
    applier = _Applier(A.Scene().with_section(a), None)
    applier.apply(patch)
    if applier.errors or tuple(applier.statements[a.name]) != b.statements:
        return fallback
    return patch


def _diff_constants(a: tuple[A.LetDef, ...], b: tuple[A.LetDef, ...]) -> A.Patch:
    """`patch constants { ... }` turning constants `a` into `b`: `remove` for the dropped ones,
    `let` for the changed ones that keep their place, and the rest removed and written again at
    the end (a written `let` for a new name is appended), so the order ends as in `b`."""
    old = {c.name: c for c in a}
    kept = [c.name for c in a if c.name in {d.name for d in b}]
    stay = 0  # b's first constants that are a's kept ones in the same order stay in place
    while stay < len(b) and stay < len(kept) and b[stay].name == kept[stay]:
        stay += 1
    ops: list[A.Node] = [A.RemoveOp(name=c.name) for c in a
                         if c.name not in {d.name for d in b[:stay]}]
    ops += [A.PutOp(statement=c) for c in b[:stay]  # values follow from the expressions
            if old[c.name].model_copy(update={"value": c.value}) != c]
    ops += [A.PutOp(statement=c) for c in b[stay:]]
    return A.Patch(section="constants", ops=tuple(ops))


def diff(a: A.Scene, b: A.Scene) -> tuple[A.Patch, ...]:
    """Patches, one per changed section in section order, with `apply_patch(a, diff(a, b))`
    equal to `b` (statements, order, statement comments). Prefers `set` for a one-parameter
    change, a full statement for other changes, `remove` for deletions and a whole-section
    `replace` when the order changed; `diff(a, a) == ()`. Changed `let` constants come first, as
    `patch constants { ... }`."""
    constants: tuple[A.Patch, ...] = ()
    if a.constants != b.constants:
        constants = (_diff_constants(a.constants, b.constants),)
        try:  # what b's constants alone change in a's statements needs no patch of its own
            a = reevaluate(a.model_copy(update={"constants": b.constants}))
        except SceneError:
            pass
    return constants + tuple(
        _diff_section(a.section(name), b.section(name))
        for name in A.SECTION_NAMES
        if a.section(name).statements != b.section(name).statements
    )
