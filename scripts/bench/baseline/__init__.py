"""A frozen copy of the parser as it was before the speed work (git 31b11cc: scenelang/parser.py,
coerce.py, comments.py, syntax_errors.py and grammar/scenelang.lark), adapted only in imports.

`make bench` times it next to the current parser in the same run, so the printed ratio does not
depend on how loaded the machine is. Not used by scenelang itself; do not edit.
"""
