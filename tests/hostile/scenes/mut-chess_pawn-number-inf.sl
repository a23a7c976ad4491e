# A chess pawn built by constructive solid geometry (nested unions and a difference with local
# transforms), a second pawn sliced in half, and a camera aimed by rotation instead of look_at.
scenelang 1

geometry {
  shape board = box(size=(3, 3, 0.1))
  shape base = union(cylinder(radius=0.42, depth=0.1) at (0, 0, 0.05), torus(major_radius=0.36, minor_radius=0.07) at (0, 0, 0.13))
  shape body = cone(radius=0.32, depth=0.8, top_radius=0.12) at (0, inf, 0.55)
  # the collar: a flat ring under the head
  shape collar = difference(cylinder(radius=0.24, depth=0.06), cylinder(radius=0.08, depth=0.2)) at (0, 0, 0.95)
  shape pawn = union(base, body, collar, sphere(radius=0.22) at (0, 0, 1.15))
  # the same pawn with its +y half cut away (the cut sits 1cm off the centre: a cutting face
  # through the primitives' vertices is a degenerate case for mesh booleans)
  shape half_pawn = difference(pawn, box(size=(1, 1, 3)) at (0, 0.51, 1))
}

materials {
  material walnut = principled(base_color=#5b3a22)
  material ivory = principled(base_color=#f2ead3, roughness=0.35, specular=0.6)
  material ebony = principled(base_color=(0.04, 0.035, 0.03), roughness=0.25)
}

composition {
  # rotate (72deg, 0, 0) tilts a camera that looks down -z up to 18deg below the horizon, facing +y
  camera cam at (0, -4.6, 2.1) rotate (72deg, 0, 0) lens 45mm resolution (400, 400)
  object board_1 = board at (0, 0, -0.05) material walnut
  object white_pawn = pawn at (-0.6, 0, 0) material ivory
  object black_pawn = half_pawn at (0.6, 0, 0) rotate (0, 0, 200deg) material ebony
}

lighting {
  world color #4a5260 strength 0.8
  light key = area(at=(-2.5, -2.5, 3.5), look_at=(0, 0, 0.6), energy=600, size=2)
  light rim = sun(direction=(0.2, -0.6, -0.5), energy=2)
}
