"""The backends layer: Blender (`blender/`), the camera model, preview meshes and renderer, export."""
