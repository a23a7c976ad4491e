"""Blender, driven from outside: the runner (one-shot renders, the persistent worker client) and
the worker script that runs inside Blender (the bpy wheel or an external `blender`)."""
