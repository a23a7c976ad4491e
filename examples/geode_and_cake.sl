# Per-operand materials in CSG: each part of a difference keeps its own material, so the faces a
# cutter leaves behind show the cutter's material (Blender material slots on one object). A geode
# split open (rock outside, amethyst in the cavity, a pale cut face) and a cake with a slice
# taken out (frosting outside, sponge where it was cut); parts without a material clause take
# the object's material (the cake's plate-side cylinder).
scenelang 1

geometry {
  shape table = box(size=(3, 2, 0.1))
  shape geode = difference(sphere(radius=0.45, segments=48, rings=24) material rock, sphere(radius=0.36, segments=48, rings=24) material amethyst, box(size=(1, 1, 0.5)) at (0, 0, 0.33) material cut_stone)
  shape cake = difference(cylinder(radius=0.5, depth=0.36, vertices=64) material frosting, box(size=(0.6, 0.6, 0.5)) at (0.31, -0.31, 0.05) rotate (0, 0, 15deg) material sponge, cylinder(radius=0.06, depth=1))
}

materials {
  material wood = principled(base_color=#6b4a2f, roughness=0.6)
  material rock = principled(base_color=#5a5550, roughness=0.9)
  material amethyst = principled(base_color=#8a4fc0, roughness=0.2)
  material cut_stone = principled(base_color=#c8c0b4)
  material frosting = principled(base_color=#f4ecf2, roughness=0.4)
  material sponge = principled(base_color=#e8c070, roughness=0.8)
  material plate = principled(base_color=#3f6fb0, roughness=0.3)
}

composition {
  camera cam at (0, -3.4, 2.4) look_at (0, 0, 0.15) lens 40mm resolution (400, 300)
  object table_1 = table at (0, 0, -0.05) material wood
  object geode_1 = geode at (-0.65, 0.1, 0.3) rotate (0, 0, -20deg) material rock
  object cake_1 = cake at (0.6, 0, 0.18) material plate
}

lighting {
  world color #404854 strength 0.7
  light key = area(at=(-1.5, -2.5, 3.5), look_at=(0, 0, 0.2), energy=450, size=2)
  light fill = sun(direction=(0.4, 0.5, -0.7), energy=1.5)
}
