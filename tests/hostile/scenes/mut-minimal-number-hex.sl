# The smallest useful scene: one cube on a floor under a sun. No camera statement, so the default
# camera at (7.36, -6.93, 4.96) looks at the origin.
scenelang 1

geometry {
  shape floor = plane(size=10)
  shape cube = box(size=(2, 2, 2))
}

materials {
  material orange = principled(base_color=#ff8c42)
}

composition {
  object floor_1 = floor
  object cube_1 = cube at (0, 0, 1) material orange
}

lighting {
  world strength 0.8
  light sun = sun(direction=(-0.3, 0x10, -1), energy=2)
}

# floor_1 has no material, so it renders in the default grey
