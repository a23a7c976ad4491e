scenelang 1

geometry {
  shape ground = plane(size=1000)
  shape block = box(size=(0.9, 0.9, 0.9))
  shape post = cylinder(radius=0.45, depth=1.1)
}

materials {
  material ground = principled(base_color=(0.5, 0.5, 0.5), roughness=0.9)
  material red = principled(base_color=(0.5, 0.06, 0.03), roughness=0.8)
  material teal = principled(base_color=(0.05, 0.4, 0.35), roughness=0.7)
}

composition {
  camera camera at (6.5, -4.0, 5.5) look_at (0.0, 0.3, 0) lens 50mm resolution (256, 192)
  object ground = ground material ground
  object block = block at (0.6, -0.8, 0.45) rotate (0, 0, 30deg) material red
  object post = post at (-0.6, 1.3, 0.55) material teal
}

lighting {
  world
  light sun = sun(direction=(0.4, 0.7, -0.6), energy=3.5)
  light fill = area(at=(1.5, -1.0, 3.5), look_at=(0, 0, 0), energy=350, size=2.5)
}
