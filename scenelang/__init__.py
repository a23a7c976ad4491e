"""scenelang: a typed scene language between images, vision-language models and Blender.

The Python API (docs/api.md) is available from the package itself::

    import scenelang
    scene = scenelang.parse("scenelang 1\\ngeometry {\\n  shape b = box(size=(1, 1, 1))\\n}\\n")

Its names (`parse`, `load`, `check`, `format`, `patch`, `diff`, `compile`, `render`, `export`,
`reconstruct`, ...) live in `scenelang.api`, imported on first use (PEP 562 `__getattr__`), so
that `import scenelang.ast` (the Blender worker, the language core) stays cheap: it imports
neither the API nor `scenelang.stages` (tests/test_api.py checks this in a fresh interpreter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time `__getattr__` imports them
    from scenelang.api import (
        Diagnostic,
        Reconstruction,
        Rendered,
        Scene,
        SceneError,
        check,
        compile,
        diff,
        export,
        format,
        load,
        parse,
        patch,
        prepare_reconstruction,
        reconstruct,
        render,
    )

__all__ = [
    "Diagnostic", "Reconstruction", "Rendered", "Scene", "SceneError", "check", "compile", "diff",
    "export", "format", "load", "parse", "patch", "prepare_reconstruction", "reconstruct",
    "render",
]


def __getattr__(name: str) -> Any:
    """`scenelang.parse` etc.: the API's names, importing `scenelang.api` on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'scenelang' has no attribute {name!r}")
    # lazy (PEP 562): the API loads the compiler and the Blender runner; `import scenelang.ast`
    # (the Blender worker, the language core) must not pay for that
    import scenelang.api as api

    return getattr(api, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
