# 1,000 cubes from two nested arrays: a row of 40 in a group, then 24 more rows. Every cube
# shares one mesh (linked duplicates); the compiled script builds them in a loop.
scenelang 1

geometry {
  shape ground = plane(size=60)
  shape cube = box(size=(0.3, 0.3, 0.3))
}

materials {
  material tile = principled(base_color=#c8553d)
}

composition {
  camera cam at (10, -14, 12) look_at (10, 6, 0) lens 30mm
  object floor_1 = ground at (10, 6, 0)
  group row {
    object cubes = array(cube, count=40, offset=(0.5, 0, 0)) at (0, 0, 0.15) material tile
  }
  object rows = array(row, count=24, offset=(0, 0.5, 0)) at (0, 0.5, 0)
}

lighting {
  light sun_1 = sun(direction=(-0.3, 0.5, -0.8))
}
