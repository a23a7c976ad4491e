# Profiles: a vase turned on a lathe (revolve of an (r, z) profile), a candlestick whose profile
# starts and ends on the axis, and an L-shaped bracket and a star extruded from 2D outlines
# (the star is concave), standing on a slab; the slab and the bracket have rounded edges
# (`bevel W`: Blender's Bevel modifier, kept live; the preview draws the sharp shape).
scenelang 1

geometry {
  shape slab = box(size=(3.2, 2, 0.1)) bevel 0.02
  # the vase: outside from the foot up to the lip, then back down inside (a hollow, open top)
  shape vase = revolve(profile=[(0, 0), (0.28, 0), (0.34, 0.25), (0.22, 0.7), (0.26, 0.9), (0.22, 0.9), (0.18, 0.7), (0.29, 0.25), (0, 0.06)], segments=48)
  shape candlestick = revolve(profile=[(0, 0), (0.2, 0), (0.2, 0.05), (0.06, 0.12), (0.04, 0.6), (0.1, 0.62), (0.1, 0.66), (0, 0.66)])
  shape bracket = extrude(profile=[(0, 0), (0.6, 0), (0.6, 0.12), (0.12, 0.12), (0.12, 0.5), (0, 0.5)], depth=0.25) bevel 0.015
  shape star = extrude(profile=[(0, 0.35), (0.09, 0.12), (0.33, 0.11), (0.14, -0.04), (0.21, -0.28), (0, -0.14), (-0.21, -0.28), (-0.14, -0.04), (-0.33, 0.11), (-0.09, 0.12)], depth=0.08)
}

materials {
  material clay = principled(base_color=#b5654a, roughness=0.6)
  material brass = principled(base_color=#c9a23f, metallic=1, roughness=0.3)
  material steel = principled(base_color=#8a8f96, metallic=1, roughness=0.4)
  material stone = principled(base_color=#d8d4cc)
  material gold = principled(base_color=#e0b040, metallic=1, roughness=0.25)
}

composition {
  camera cam at (0, -4.2, 2.2) look_at (0, 0, 0.4) lens 40mm resolution (400, 300)
  object slab_1 = slab at (0, 0, -0.05) material stone
  object vase_1 = vase at (-0.9, 0.2, 0) material clay
  object candle_1 = candlestick at (-0.1, 0.3, 0) material brass
  object bracket_1 = bracket at (0.35, 0.35, 0.125) rotate (90deg, 0, 0) material steel
  object star_1 = star at (1.05, -0.3, 0.35) rotate (90deg, 0, 20deg) material gold
}

lighting {
  world color #3c4450 strength 0.6
  light key = area(at=(-2, -3, 4), look_at=(0, 0, 0.3), energy=500, size=2)
  light fill = sun(direction=(0.5, 0.4, -0.6), energy=1.5)
}
