"""Patches: edits of one section (`set`, `remove`, a full statement, `replace`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scenelang.ast.base import Name, Node, SectionName, Value
from scenelang.ast.scene import LetDef, StatementType


class SetOp(Node):
    """`set TARGET.PARAM = VALUE`: change one parameter of a named statement."""

    op: Literal["set"] = "set"
    target: Name
    param: Name
    value: Value


class RemoveOp(Node):
    """`remove NAME`: delete a statement of the patch's section."""

    op: Literal["remove"] = "remove"
    name: Name


class PutOp(Node):
    """A full statement: adds it, or replaces the statement of the same name in place."""

    op: Literal["put"] = "put"
    statement: Annotated[StatementType | LetDef, Field(discriminator="stmt")]


PatchOp = Annotated[SetOp | RemoveOp | PutOp, Field(discriminator="op")]


class Patch(Node):
    """`patch SECTION { ops }`, or with `replace=True` the form `replace SECTION { statements }`."""

    section: SectionName | Literal["constants"]  # constants: `let` and `remove` only
    replace: bool = False
    ops: tuple[PatchOp, ...] = ()

    @model_validator(mode="after")
    def _replace_only_puts(self) -> Patch:
        if self.replace and any(not isinstance(op, PutOp) for op in self.ops):
            raise ValueError("a replace block holds only statements")
        return self


class PatchFile(Node):
    """A `.slp` file: one or more patches, applied in order."""

    patches: tuple[Patch, ...] = Field(min_length=1)
