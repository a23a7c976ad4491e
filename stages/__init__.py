"""The reconstruction layer: image in, editable scene out.

Rooms (each a sub-package; their one-way order is an import-linter contract):
`bench/` (the reconstruction benchmark) > `engine/` (the stage loop, loop renders, run folder) >
`report/` | `proposers/` (base types and registry; `vlm/`, `offline/`) > `vision/` (classical
image analysis) > `metrics`, `budget`, `files` (image metrics, call/time accounting, atomic files).
"""
