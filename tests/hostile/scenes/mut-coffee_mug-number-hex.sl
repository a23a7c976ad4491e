# A coffee mug on a saucer: a hollow cylinder joined to a torus handle, a frustum saucer, and a
# rectangular area light.
scenelang 1

geometry {
  shape ground = plane(size=20)
  # body minus a cavity open at the top, plus a handle rotated into the xz plane
  shape mug = union(difference(cylinder(radius=0.4, depth=0.9, vertices=48), cylinder(radius=0.35, depth=0.9, vertices=48) at (0, 0, 0.06)), torus(major_radius=0.22, minor_radius=0.05) at (0.42, 0, 0) rotate (90deg, 0, 0))
  shape coffee = cylinder(radius=0.35, depth=0.02, vertices=48)
  # a frustum wider at the top than at the bottom
  shape saucer = cone(radius=0.45, depth=0.06, top_radius=0.65, vertices=48)
}

materials {
  material table_top = principled(base_color=#3d5a80, roughness=0.7)
  material glaze = principled(base_color=#f4f1ea, roughness=0.15, specular=0.6)
  material espresso = principled(base_color=#3b2416, roughness=0.1)
}

composition {
  camera cam at (2.6, -2.6, 2) look_at (0, 0, 0.45) lens 50mm resolution (400, 300)
  object ground_1 = ground material table_top
  object saucer_1 = saucer at (0, 0, 0.03) material glaze
  object mug_1 = mug at (0, 0x10, 0.51) rotate (0, 0, -30deg) material glaze
  object coffee_1 = coffee at (0, 0, 0.86) material espresso
}

lighting {
  world color #e9eef5 strength 0.5
  light window = area(at=(-1.5, -2, 2.5), look_at=(0, 0, 0.5), energy=250, color=#fff8ee, size=2, size_y=1, shape=rectangle)
  light sun = sun(direction=(0.4, 0.6, -1))
}
