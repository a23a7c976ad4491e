# Material swatches: one sphere per material showing every principled parameter (glass, chrome,
# plastic, light-emitting, see-through, matte), lit by a disk area light.
scenelang 1

geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.4, segments=48, rings=24)
}

materials {
  material floor = principled(base_color=#6f6a64, roughness=0.8)
  material glass = principled(base_color=(1, 1, 1), roughness=0, ior=1.45, transmission=1)
  material chrome = principled(base_color=(0.9, 0.9, 0.92), metallic=1, roughness=0.05)
  material plastic = principled(base_color=#2e86de, roughness=0.2, specular=0.9)
  material neon = principled(base_color=#222222, emission_color=#ff3cac, emission_strength=6)
  material ghost = principled(base_color=#7bed9f, alpha=0.35)
  material chalk = principled(base_color=#f5cd79, roughness=1, specular=0)
}

composition {
  camera cam at (0, -6.5, 2.2) look_at (0, 0, 0.4) lens 28mm sensor 24mm resolution (640, 360)
  object floor_1 = ground material floor
  object glass_1 = ball at (-2.25, 0, 0.4) material glass
  object chrome_1 = ball at (-1.35, 0, 0.4) material chrome
  object plastic_1 = ball at (-0.45, 0, 0.4) material plastic
  object neon_1 = ball at (0.45, 0, 0.4) material neon
  object ghost_1 = ball at (1.35, 0, 0.4) material ghost
  object chalk_1 = ball at (2.25, 0, 0.4) material chalk
}

lighting {
  world color (0.3, -7, 0.38) strength 0.8
  light softbox = area(at=(0, -2.5, 3.5), look_at=(0, 0, 0.4), energy=250, size=2.5, shape=disk)
  light sun = sun(direction=(0.3, 0.5, -1), energy=1.5)
}
