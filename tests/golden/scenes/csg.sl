scenelang 1
# Nested CSG, shape references, one shape used twice, spot and point lights, a fov camera.

geometry {
  shape cup = difference(cylinder(radius=0.5, depth=1), cylinder(radius=0.42, depth=1) at (0, 0, 0.1))
  shape holed = difference(box(size=(1.2, 1.2, 1.2)), sphere(radius=0.75), cylinder(radius=0.25, depth=2) rotate (90deg, 0, 0))
  shape lens = intersection(sphere(radius=0.7) at (0, 0, -0.4), sphere(radius=0.7) at (0, 0, 0.4))
  shape trophy = union(cup at (0, 0, 0.6), cylinder(radius=0.1, depth=0.4) at (0, 0, -0.1), box(size=(0.6, 0.6, 0.2)) at (0, 0, -0.3))
  shape floor = plane(size=10)
}

materials {
  material ground = principled(base_color=#d8d2c4, roughness=0.8)
  material copper = principled(base_color=#b87333, metallic=1, roughness=0.35)
  material blue = principled(base_color=#2e6fd1, roughness=0.3)
  material glass = principled(base_color=#ffffff, roughness=0.05, transmission=1, ior=1.45)
}

composition {
  camera main at (0, -6, 3.2) look_at (0, 0, 0.6) fov 50deg resolution (320, 240)
  object floor_1 = floor material ground
  object cup_1 = cup at (-1.6, 0, 0.5) material copper
  object cup_2 = cup at (1.6, 0.4, 0.5) rotate (0, 0, 30deg) scale 0.8 material blue
  object holed_1 = holed at (0, 0.8, 0.6) rotate (0, 0, 35deg) material copper
  object lens_1 = lens at (0, -1.2, 0.25) scale (1, 1, 0.6) material glass
  object trophy_1 = trophy at (1.2, -1.4, 0.4) scale 0.6 material blue
}

lighting {
  world color #101418 strength 1
  light spot_1 = spot(at=(3, -3, 5), look_at=(0, 0, 0.5), energy=2500, spot_size=50deg, blend=0.3)
  light bulb = point(at=(-2, -1.5, 2.5), energy=400, color=#ffcf9e, radius=0.2)
}
