# A coffee mug on a saucer: a hollow cylinder joined to a torus handle, a frustum saucer, and a
# rectangular area light.
scenelang 1

geometry {
  shape ground = plane(size=20)
  # body minus a cavity open at the top, plus a handle rotated into the xz plane
  shape mug = union(difference(cylinder(radius=0.4, depth=0.9, vertices=48), cylinder(radius=0.35, depth=0.9, vertices=48) at (0, 0, 0.06)), torus(major_radius=0.22, minor_radius=0.05) at (0.42, 0, 0) rotate (90deg, 0, 0))
  shape coffee = cylinder(radius=0.35, depth=0.02, vertices=48)
  