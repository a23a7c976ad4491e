# A lighthouse at dusk: a striped tower of stacked frustums, a glass lantern with a glowing lamp
# and a point light inside, rocks from scaled spheres, and a low warm sun.
scenelang 1

geometry {
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
  material stone = principled(base_color=#6c757d, roughne