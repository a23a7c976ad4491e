"""`make addon`: zip the Blender add-on (`scenelang_blender/`) into `build/scenelang_blender.zip`.

The zip holds the add-on's folder (its `.py` files only), the layout Blender's
Preferences > Add-ons > Install from Disk expects. Usage: `python scripts/build_addon.py [OUT]`.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / "scenelang_blender"
DEFAULT_OUT = ROOT / "build" / "scenelang_blender.zip"


def build(out: Path = DEFAULT_OUT) -> Path:
    """Write the add-on zip to `out` (folders made as needed); returns its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(ADDON.glob("*.py")):
            archive.write(path, f"{ADDON.name}/{path.name}")
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_OUT))
