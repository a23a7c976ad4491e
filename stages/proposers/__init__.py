"""Proposers write scene-language patches: the interface (`base`), the prompts, the registry.

`registry.make_proposer("offline" | "vlm", **options)` builds one; see `base` for how to write one.
"""
