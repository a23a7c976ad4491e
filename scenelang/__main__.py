"""`python -m scenelang`: the same command line as the `scenelang` console script.

This module sits above every layer (the import-linter layer `__main__`, over `cli`); the
package never imports it, so `import scenelang` stays free of the command line."""

from __future__ import annotations

import sys

from scenelang.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
