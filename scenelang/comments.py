"""Attaching `#` comments to AST nodes so the formatter keeps them.

A comment on the same line after a statement becomes that statement's `trailing_comment`; other
comments become leading `comments` of the next statement in the same section, or the section's
`end_comments` when no statement follows before its closing brace. Comments before the header go to
`Scene.comments`, comments between sections to the next section's `comments`, comments after the
last section to `Scene.end_comments`. Comments inside a multi-line statement move before it.
"""

from __future__ import annotations

from lark import Token

from scenelang import ast as A


def _text(tok: Token) -> str:
    return str(tok).rstrip()


def attach_comments(scene: A.Scene, comments: list[Token]) -> A.Scene:
    if not comments:
        return scene
    pending = sorted(comments, key=lambda t: (t.line, t.column))
    sections = [s for s in scene.sections() if s.span is not None]
    sections.sort(key=lambda s: s.span.line)
    scene_leading: list[str] = []
    scene_end: list[str] = []
    per_section: dict[str, dict] = {
        s.name: {"comments": [], "end": [], "lead": {}, "trail": {}} for s in scene.sections()
    }
    header_line = scene.span.line if scene.span else 1
    lets = [let for let in scene.constants if let.span is not None]
    let_lead: dict[int, list[str]] = {}
    let_trail: dict[int, str] = {}
    for tok in pending:
        line = tok.line
        if line < header_line:
            scene_leading.append(_text(tok))
            continue
        at_let = _let_comment(lets, tok, let_lead, let_trail)
        if at_let:
            continue
        home = None
        for s in sections:
            if s.span.line <= line <= s.span.end_line:
                home = s
                break
        if home is None:
            following = [s for s in sections if s.span.line > line]
            if following:
                per_section[following[0].name]["comments"].append(_text(tok))
            else:
                scene_end.append(_text(tok))
            continue
        slot = per_section[home.name]
        trailing = next((index for index, st in enumerate(home.statements)
                         if st.span is not None and st.span.end_line == line
                         and tok.column >= st.span.end_column and index not in slot["trail"]), None)
        if trailing is not None:
            slot["trail"][trailing] = _text(tok)
            continue
        if line == home.span.line:
            slot["comments"].append(_text(tok))
            continue
        placed = False
        for index, st in enumerate(home.statements):
            sp = st.span
            if sp is None:
                continue
            if line <= sp.end_line:
                slot["lead"].setdefault(index, []).append(tok)
                placed = True
                break
        if not placed:
            slot["end"].append(_text(tok))
    updates = {}
    for section in scene.sections():
        slot = per_section[section.name]
        statements = []
        for index, st in enumerate(section.statements):
            lead, trail = slot["lead"].get(index), slot["trail"].get(index)
            if lead and isinstance(st, A.GroupDef):
                st, lead = _into_group(st, lead)
            if lead or trail:
                st = st.model_copy(update={
                    "comments": tuple(_text(t) for t in lead or ()),
                    "trailing_comment": trail,
                })
            statements.append(st)
        updates[section.name] = section.model_copy(update={
            "statements": tuple(statements),
            "comments": tuple(slot["comments"]),
            "end_comments": tuple(slot["end"]),
        })
    if let_lead or let_trail:
        updates["constants"] = tuple(
            let.model_copy(update={"comments": tuple(let_lead.get(i, ())),
                                   "trailing_comment": let_trail.get(i)})
            if i in let_lead or i in let_trail else let
            for i, let in enumerate(lets))
    return scene.model_copy(update={
        **updates, "comments": tuple(scene_leading), "end_comments": tuple(scene_end)})


def _let_comment(lets: list[A.LetDef], tok: Token, lead: dict, trail: dict) -> bool:
    """A comment on a `let` line (after it) or on the lines before a `let` (up to the previous
    `let` or the header) goes to that constant; False when no `let` takes it."""
    for i, let in enumerate(lets):
        if let.span.end_line == tok.line and tok.column >= let.span.end_column and i not in trail:
            trail[i] = _text(tok)
            return True
        if tok.line < let.span.line:
            lead.setdefault(i, []).append(_text(tok))
            return True
    return False


def _into_group(group: A.GroupDef, tokens: list[Token]) -> tuple[A.GroupDef, list[Token]]:
    """Comments inside a group's braces go to its members, as in a section (trailing on a
    member's last line, else before the next member); `(group, comments left for the group
    itself)`: those before it and those after its last member (moved before the group)."""
    span = group.span
    if span is None:
        return group, tokens
    own = [t for t in tokens if t.line <= span.line]
    members = list(group.members)
    lead: dict[int, list[Token]] = {}
    trail: dict[int, str] = {}
    for tok in (t for t in tokens if t.line > span.line):
        index = next((i for i, m in enumerate(members) if m.span is not None
                      and m.span.end_line == tok.line and tok.column >= m.span.end_column
                      and i not in trail), None)
        if index is not None:
            trail[index] = _text(tok)
            continue
        index = next((i for i, m in enumerate(members)
                      if m.span is not None and tok.line <= m.span.end_line), None)
        if index is None:
            own.append(tok)
        else:
            lead.setdefault(index, []).append(tok)
    for index, member in enumerate(members):
        before = lead.get(index, [])
        if before and isinstance(member, A.GroupDef):
            member, before = _into_group(member, before)
        if before or index in trail:
            members[index] = member.model_copy(update={
                "comments": tuple(_text(t) for t in before), "trailing_comment": trail.get(index)})
    return group.model_copy(update={"members": tuple(members)}), own


def attach_patch_comments(patch_file: A.PatchFile, comments: list[Token]) -> A.PatchFile:
    """Comments in patches are kept only on full statements (`put`); others are dropped.

    A put statement takes the comments between the previous op (or the block's opening line) and
    itself, and a comment after it on its last line.
    """
    if not comments:
        return patch_file
    pending = sorted(comments, key=lambda t: (t.line, t.column))
    patches = []
    for patch in patch_file.patches:
        ops = []
        previous_end = patch.span.line if patch.span is not None else 0
        for op in patch.ops:
            span = op.statement.span if isinstance(op, A.PutOp) else op.span
            if isinstance(op, A.PutOp) and span is not None:
                lead = [_text(t) for t in pending if previous_end < t.line < span.line]
                trail = next((_text(t) for t in pending if t.line == span.end_line
                              and t.column >= span.end_column), None)
                if lead or trail:
                    op = op.model_copy(update={"statement": op.statement.model_copy(update={
                        "comments": tuple(lead), "trailing_comment": trail})})
            if span is not None:
                previous_end = span.end_line
            ops.append(op)
        patches.append(patch.model_copy(update={"ops": tuple(ops)}))
    return patch_file.model_copy(update={"patches": tuple(patches)})
