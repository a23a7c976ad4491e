"""The prompt templates (`templates/<name>.md.j2`), loaded as package data.

One per stage (`draft`, `geometry`, `materials`, `composition`, `lighting`, `direct`), plus
`system`, `request` and `verify`. The engine uses the stage templates for the instructions of a
`ProposalRequest`; the VLM proposer wraps them in the system and request templates.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from scenelang import ast as A

TEMPLATES_PACKAGE = "scenelang.stages.proposers"
TEMPLATES_FOLDER = "templates"


@lru_cache(maxsize=1)
def _prompt_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATES_PACKAGE, TEMPLATES_FOLDER),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def language_facts() -> dict[str, Any]:
    """What every template may use, taken from the AST so prompts never list kinds by hand:
    `primitives` (e.g. "box, sphere, ..."), `csg_ops` ("union, difference, intersection")."""
    return {"primitives": ", ".join(A.PRIMITIVES), "csg_ops": ", ".join(A.CSG_OPS)}


def render_prompt(name: str, **context: Any) -> str:
    """Render `templates/<name>.md.j2` with `language_facts()` and `context` (a missing variable
    is an error)."""
    return _prompt_env().get_template(f"{name}.md.j2").render(**language_facts(), **context)
