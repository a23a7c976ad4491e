# A small bookshelf: a frame carved out of a box by difference, books placed with per-axis scale
# and tilt, and two coloured point lights.
scenelang 1

geometry {
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

composition