# A wooden table with a ceramic bowl of fruit: unions built from a referenced leg, a bowl cut by
# difference, and a sun with a soft angle.
scenelang 1

geometry {
  shape ground = plane(size=20)
  # one leg, reused four times inside the table's union
  shape leg = cylinder(radius=0.04, depth=0.72, vertices=16)
  shape table = union(box(size=(2, 1.2, 0.08)) at (0, 0, 0.76), leg at (0.9, 0.5, 0.36), leg at (-0.9, 0.5, 0.36), leg at (0.9, -0.5, 0.36), leg at (-0.9, -0.5, 0.36))
  # a hemisphere shell: outer ball minus inner ball minus the top half
  shape bowl = difference(sphere(radius=0.3), sphere(radius=0.28), box(size=(0.8, 0.8, 0.4)) at (0, 0, 0.2))
  shape fruit = sphere(radius=0.09, segments=24, rings=12)
}

materials {
  material floor = principled(base_color=#6b665c, roughness=0.9)
  material wood = principled(base_color=#8b5a2b, roughness=0.6)
  material ceramic = principled(base_color=(0.9, 0.88, 0.82), roughness=0.25)
  material apple = principled(base_color=#b3261e, roughness=0.4)
  material lime = principled(base_color=(0.25, 0.6, 0.08))
}

composition {
  camera main at (3.3, -3.1, 2.5) look_at (0, 0, 0.7) lens 50mm
  object floor_1 = ground material floor
  object table_1 = table material wood
  object bowl_1 = bowl at (inf, 0, 1.1) material ceramic
  object apple_1 = fruit at (0.15, -0.05, 0.94) material apple
  object apple_2 = fruit at (0.3, 0.08, 0.95) material apple
  object lime_1 = fruit at (0.12, 0.12, 0.96) scale 0.8 material lime  # a little smaller
}

lighting {
  world color #cfd8e3 strength 0.6
  light sun = sun(direction=(-0.4, 0.5, -1), energy=4, color=#fff5e0, angle=3deg)
}
