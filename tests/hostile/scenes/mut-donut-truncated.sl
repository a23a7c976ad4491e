# A glazed donut on a plate: icing made by intersecting a slightly larger torus with a box, and an
# elliptical area light.
scenelang 1

geometry {
  shape ground = plane(size=20)
  shape plate = cone(radius=0.7, depth=0.04, top_radius=0.9, vertices=64)
  shape dough = torus(major_radius=0.5, minor_radius=0.25, major_segments=64, minor_segments=24)
  # the upper part of a fatter torus
  shape icing = intersection(torus(major_radius=0.5, minor_radius=0.27, major_segments=64, minor_segments=24), box(size=(2, 2, 0.4)) at (0, 0, 0.24))
  shape sprinkle = cylinder(radius=0.015, depth=0.08, vertices=8) rotate (90deg, 0, 0)
}

materials {
  material table_cloth = principled(base_color=#7a6f66, roughness=0.9)
  material porcelain = principled(base_color=(0.92, 0.94, 0.96), roughness=0.1)
  material pastry = principled(base_color=#c68642, roughness=0.7)
  material pink_glaze = principled(base_color=#f78fb3, roughness=0.2, specular=0.7)
  material candy = principled(base_color=#4bcffa, roughness=0.4)
}

composition {
  camera cam at (2.2, -2.4, 2.3) look_at (0, 0, 0.2) lens 50mm
  object ground_1 = ground material table_cloth
  object plate_1 = plate at (0, 0, 0.02) material porcelain
  object donut_1 = dough at (0, 0, 0.29) material pastry
  object icing_1 = icing at (0, 0, 0.29) material pink_glaze
  object sprinkle_1 = sprinkle at (0.3, -0.35, 0.56) rotate (0, 0, 30deg) material 