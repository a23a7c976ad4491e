# Mesh assets: a chair read from a glTF file and a cone from an STL file (paths relative to this
# file, confined to its folder), placed like any shape, one chair cut by CSG and one with its own
# per-operand material on the cut.
scenelang 1

geometry {
  shape floor = box(size=(3, 2.4, 0.1))
  shape chair = mesh(path="assets/chair.glb")
  shape cone = mesh(path="assets/cone.stl")
  shape cut_chair = difference(chair, box(size=(0.3, 0.6, 0.3)) at (0.2, 0, 0.45) material red)
}

materials {
  material oak = principled(base_color=#b08850, roughness=0.6)
  material red = principled(base_color=#c03020)
  material tile = principled(base_color=#d8d8d0)
}

composition {
  camera cam at (0, -3.6, 2.2) look_at (0, 0, 0.4) lens 40mm resolution (400, 300)
  object floor_1 = floor at (0, 0, -0.05) material tile
  object chair_1 = chair at (-0.7, 0, 0) rotate (0, 0, 20deg) material oak
  object chair_2 = cut_chair at (0.3, 0.2, 0) rotate (0, 0, -15deg) material oak
  object cone_1 = cone at (1, -0.5, 0) material red
}

lighting {
  world color #404850 strength 0.7
  light key = area(at=(-2, -2.5, 3.5), look_at=(0, 0, 0.3), energy=450, size=2)
  light fill = sun(direction=(0.4, 0.5, -0.7), energy=1.5)
}
