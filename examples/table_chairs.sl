# A table, two chairs and a desk lamp written with groups, an instance and radial arrays (four
# legs as one leg turned about the centre in quarter turns), the lamp's light in its group: the
# same scene as table_chairs_flat.sl, whose composition is written object by object.
scenelang 1

geometry {
  shape ground = plane(size=20)
  shape top = box(size=(1.2, 1.2, 0.05))
  shape leg = cylinder(radius=0.03, depth=0.72)
  shape seat = box(size=(0.44, 0.44, 0.04))
  shape chair_leg = cylinder(radius=0.02, depth=0.43)
  shape back = box(size=(0.44, 0.03, 0.45))
  shape lamp_base = cone(radius=0.08, depth=0.3, top_radius=0.015)
  shape shade = cone(radius=0.14, depth=0.14, top_radius=0.06)
  shape bulb = sphere(radius=0.035)
}

materials {
  material floor = principled(base_color=#8a8178, roughness=0.9)
  material oak = principled(base_color=#a0703c)
  material fabric = principled(base_color=#3a6b8c, roughness=0.8)
  material brass = principled(base_color=#c9a227, metallic=1, roughness=0.3)
  material lamp_green = principled(base_color=#1e6b45, roughness=0.4)
  material glow = principled(base_color=#ffffff, emission_color=#ffe3a8, emission_strength=10)
}

composition {
  camera cam at (2.6, -2.4, 1.9) look_at (0, 0, 0.45) lens 30mm
  object floor_1 = ground material floor
  group table {
    object top_1 = top at (0, 0, 0.745) material oak
    object legs = array(leg, count=4, around=(0, 0, 0)) at (0.5, 0.5, 0.36) material oak
  }
  group chair_1 at (0, -0.85, 0) {
    object seat_1 = seat at (0, 0, 0.45) material fabric
    object feet = array(chair_leg, count=4, around=(0, 0, 0)) at (0.18, 0.18, 0.215) material oak
    object back_1 = back at (0, -0.205, 0.69) material fabric
  }
  object chair_2 = instance chair_1 at (0, 0.85, 0) rotate (0, 0, 180deg)
  group lamp at (0.3, 0.25, 0.77) {
    object base_1 = lamp_base at (0, 0, 0.15) material brass
    object shade_1 = shade at (0, 0, 0.35) material lamp_green
    object bulb_1 = bulb at (0, 0, 0.25) material glow
    light lamp_light = point(at=(0, 0, 0.23), energy=40, color=#ffd89a, radius=0.03)
  }
}

lighting {
  world color #1c232b strength 0.6
  light sun_1 = sun(direction=(-0.4, 0.5, -0.75))
}
