# A garden of repeats: a picket fence as linear arrays, a ring of stones as a radial array around
# a fountain, and a row of lamp posts as an array of a group (every copy shares its mesh).
scenelang 1

geometry {
  shape ground = plane(size=30)
  shape picket = box(size=(0.12, 0.04, 0.8))
  shape rail = box(size=(4.4, 0.03, 0.06))
  shape stone = sphere(radius=0.16, segments=16, rings=8) scale (1.2, 0.9, 0.6)
  shape basin = difference(cylinder(radius=0.9, depth=0.4), cylinder(radius=0.8, depth=0.4) at (0, 0, 0.1))
  shape water = cylinder(radius=0.8, depth=0.05)
  shape post = cylinder(radius=0.04, depth=1.2, vertices=16)
  shape globe = sphere(radius=0.12, segments=16, rings=8)
}

materials {
  material grass = principled(base_color=#4f7a3a, roughness=0.9)
  material paint = principled(base_color=#f2f0ea, roughness=0.6)
  material granite = principled(base_color=#8e8a84, roughness=0.8)
  material pool = principled(base_color=#3f7fa8, roughness=0.1)
  material iron = principled(base_color=#25282c, metallic=1, roughness=0.4)
  material lamp_glow = principled(base_color=#fff4d6, emission_color=#ffe7b0, emission_strength=4)
}

composition {
  camera cam at (5, -6, 3.6) look_at (0, 0.5, 0.4) lens 32mm
  object lawn = ground material grass
  group fence at (0, 2.6, 0) {
    object pickets = array(picket, count=15, offset=(0.3, 0, 0)) at (-2.1, 0, 0.4) material paint
    object rails = array(rail, count=2, offset=(0, 0, 0.4)) at (0, -0.03, 0.25) material paint
  }
  object basin_1 = basin at (0, 0, 0.2) material granite
  object water_1 = water at (0, 0, 0.3) material pool
  object stones = array(stone, count=12, around=(0, 0, 0)) at (1.2, 0, 0.06) material granite
  group lamp_post at (-2.4, -1.6, 0) {
    object pole = post at (0, 0, 0.6) material iron
    object light_globe = globe at (0, 0, 1.26) material lamp_glow
  }
  # two more lamp posts, the first one step along from the group itself
  object lamp_posts = array(lamp_post, count=2, offset=(1.6, 0, 0)) at (1.6, 0, 0)
}

lighting {
  world color #b8c8d8 strength 0.4
  light sun_1 = sun(direction=(-0.5, 0.6, -0.65), energy=3.5)
}
