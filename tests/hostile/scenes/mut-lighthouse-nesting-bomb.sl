# A lighthouse at dusk: a striped tower of stacked frustums, a glass lantern with a glowing lamp
# and a point light inside, rocks from scaled spheres, and a low warm sun.
scenelang 1

geometry {
  shape q = box(size=((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
  shape sea = plane(size=40)
  shape rock = sphere(radius=1, segments=16, rings=8)
  # a reference with its own transform: a flattened copy of rock
  shape big_rock = rock scale (1.5, 1.3, 0.6)
  shape band = cone(radius=0.6, depth=0.8, top_radius=0.5, vertices=48)
  shape lantern = cylinder(radius=0.38, depth=0.5)
  # a dome: the top half of a sphere
  shape dome = difference(sphere(radius=0.42), box(size=(1, 1, 0.5)) at (0, 0, -0.25))
  shape lamp = sphere(radius=0.15, segments=16, rings=8)
}

materials {
  material water = principled(base_color=#1d3557, roughness=0.15)
  material stone = principled(base_color=#6c757d, roughness=0.95)
  material white_paint = principled(base_color=#f8f9fa, roughness=0.6)
  material red_paint = principled(base_color=#c1121f, roughness=0.6)
  material lantern_glass = principled(base_color=(0.9, 0.95, 1), roughness=0.05, transmission=0.9)
  material lamp_light = principled(emission_color=#fff3b0, emission_strength=30)
}

composition {
  camera cam at (6.5, -7, 3.2) look_at (0, 0, 2) lens 35mm resolution (480, 640)
  object sea_1 = sea material water
  object rock_1 = big_rock material stone
  object rock_2 = rock at (1.2, -0.8, 0) scale (0.7, 0.6, 0.4) material stone
  object band_1 = band at (0, 0, 0.7) material white_paint
  object band_2 = band at (0, 0, 1.5) scale (0.84, 0.84, 1) material red_paint
  object band_3 = band at (0, 0, 2.3) scale (0.7, 0.7, 1) material white_paint
  object band_4 = band at (0, 0, 3.1) scale (0.57, 0.57, 1) material red_paint
  object lantern_1 = lantern at (0, 0, 3.75) material lantern_glass
  object lamp_1 = lamp at (0, 0, 3.75) material lamp_light  # seen through the glass
  object dome_1 = dome at (0, 0, 4) material red_paint
}

# dusk: a low warm sun, and the beacon lit inside the lantern
lighting {
  world color #4a5a7a strength 0.8
  light dusk = sun(direction=(-0.8, 0.5, -0.35), color=#ffb37a, angle=2deg)
  light beacon = point(at=(0, 0, 3.75), energy=200, color=#fff3b0)
}
