scenelang 1
# Every primitive once, on a floor, lit by a sun and an area light.

geometry {
  shape floor = plane(size=8)
  shape crate = box(size=(1, 0.8, 0.6))
  shape ball = sphere(radius=0.45, segments=24, rings=12)
  shape post = cylinder(radius=0.25, depth=1.2, vertices=24)
  shape spike = cone(radius=0.4, depth=1, top_radius=0.1, vertices=24)
  shape ring = torus(major_radius=0.45, minor_radius=0.12, major_segments=32, minor_segments=10)
}

materials {
  material ground = principled(base_color=#8a8f99, roughness=0.9)
  material red = principled(base_color=#c0392b, roughness=0.4)
  material gold = principled(base_color=#d4af37, metallic=1, roughness=0.3)
  material teal = principled(base_color=(0.05, 0.4, 0.35), roughness=0.5)
  material glow = principled(base_color=#ffffff, emission_color=#ffd27f, emission_strength=4)
}

composition {
  camera main at (5.5, -5.5, 4) look_at (0, 0, 0.4) lens 40mm resolution (320, 240)
  object floor_1 = floor material ground
  object crate_1 = crate at (-1.2, 0.6, 0.3) rotate (0, 0, 20deg) material red
  object ball_1 = ball at (0.2, -0.6, 0.45) material gold
  object post_1 = post at (1.3, 0.8, 0.6) material teal
  object spike_1 = spike at (-1.3, -1.1, 0.5)
  object ring_1 = ring at (0.4, 1.4, 0.57) rotate (90deg, 0, 0) material glow
}

lighting {
  world color #2b3440 strength 0.6
  light key = sun(direction=(-0.4, 0.6, -1), energy=3, color=#fff2dd)
  light fill = area(at=(-3, -3, 4), look_at=(0, 0, 0), size=2, energy=300)
}
