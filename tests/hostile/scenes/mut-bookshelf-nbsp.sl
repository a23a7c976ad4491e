# A small bookshelf: a frame carved out of a box by difference, books placed with per-axis scale
# and tilt, and two coloured point lights.
scenelang 1

geometry {
  shape q = box(size=(1, 1, 1))
  shape ground = plane(size=20)
  # a box with two open compartments cut from the front
  shape shelf = difference(box(size=(1.2, 0.35, 1.4)), box(size=(1.1, 0.35, 0.6)) at (0, -0.03, 0.33), box(size=(1.1, 0.35, 0.6)) at (0, -0.03, -0.33))
  shape book = box(size=(0.06, 0.24, 0.4))
  shape globe = sphere(radius=0.12)
  # books stand upright (0.4 m tall) unless an object rotates them
}

materials {
  material floor = principled(base_color=#8d7b68, roughness=0.8)
  material pine = principled(base_color=#d9b382, roughness=0.6)
  material blue_cover = principled(base_color=#274c77, roughness=0.7)
  material red_cover = principled(base_color=#9d0208, roughness=0.7)
  material green_cover = principled(base_color=(0.1, 0.35, 0.2), roughness=0.7)
  material globe_blue = principled(base_color=#48cae4, roughness=0.3)
}

composition {
  camera cam at (1.6, -3.2, 1.5) look_at (0, 0, 0.75) lens 38mm resolution (480, 480)
  object floor_1 = ground material floor
  object shelf_1 = shelf at (0, 0, 0.7) material pine
  object book_1 = book at (-0.45, 0, 0.62) material blue_cover
  object book_2 = book at (-0.38, 0, 0.6) scale (1, 1, 0.9) material red_cover
  object book_3 = book at (-0.27, 0, 0.62) rotate (0, 12deg, 0) material green_cover
  object book_4 = book at (0.3, 0, 1.23) rotate (0, -80deg, 0) scale (1.2, 1, 1) material red_cover  # lying flat
  object globe_1 = globe at (0.3, 0, 0.55) material globe_blue
}

lighting {
  world color #2c2a28 strength 0.6
  light warm = point(at=(-1.5, -1.5, 2.2), energy=500, color=#ffc48a, radius=0.2)
  light cool = point(at=(1.8, -1, 1.8), energy=300, color=(0.6, 0.75, 1))
  light sun = sun(direction=(0.3, 0.8, -0.6), energy=2)
}
