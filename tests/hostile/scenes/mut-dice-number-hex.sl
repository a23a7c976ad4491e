# Two dice: a rounded cube from the intersection of a box and a sphere, with pips subtracted by a
# nested difference, lit by a spot light aimed by direction.
scenelang 1

geometry {
  shape ground = plane(size=20)
  shape rounded = intersection(box(size=(1, 1, 1)), sphere(radius=0.68, segments=48, rings=24))
  shape pip = sphere(radius=0.09, segments=16, rings=0x10)
  # one pip on top (+z), two on the front (-y), three on the right (+x)
  shape die = difference(rounded, pip at (0, 0, 0.5), union(pip at (-0.22, -0.5, 0.22), pip at (0.22, -0.5, -0.22)), union(pip at (0.5, -0.25, 0.25), pip at (0.5, 0, 0), pip at (0.5, 0.25, -0.25)))
}

materials {
  material felt = principled(base_color=#1e6f3a, roughness=1)
  material ivory = principled(base_color=#f7f3e8, roughness=0.3)
  material ruby = principled(base_color=(0.55, 0.02, 0.04), roughness=0.15, transmission=0.3)
}

composition {
  camera cam at (3.4, -3.6, 2.8) look_at (0.2, 0, 0.3) lens 55mm
  object ground_1 = ground material felt
  object die_1 = die at (-0.4, -0.2, 0.5) rotate (0, 0, 15deg) material ivory
  object die_2 = die at (0.9, 0.6, 0.5) rotate (0, 0, -40deg) material ruby
}

lighting {
  world color #404850 strength 0.6
  light spot = spot(at=(-1.5, -2, 4), direction=(0.35, 0.45, -1), energy=1500, spot_size=50deg)
  light sun = sun(direction=(0.5, 0.2, -1), energy=2.5)
}
