# A desk lamp: a shade made by subtracting one frustum from another, an emissive bulb and a spot
# light aimed at the desk with look_at.
scenelang 1

geometry {
  shape ground = plane(size=20)
  shape desk_leg = box(size=(0.05, 0.05, 0.7))
  shape desk = union(box(size=(1.6, 0.8, 0.05)) at (0, 0, 0.725), desk_leg at (0.75, 0.35, 0.35), desk_leg at (-0.75, 0.35, 0.35), desk_leg at (0.75, -0.35, 0.35), desk_leg at (-0.75, -0.35, 0.35))
  shape lamp_base = cylinder(radius=0.12, depth=0.03)
  shape arm = cylinder(radius=0.012, depth=0.5, vertices=12)
  # a hollow shade, open at the bottom
  shape shade = difference(cone(radius=0.14, depth=0.16, top_radius=0.05), cone(radius=0.13, depth=0.16, top_radius=0.04) at (0, 0, -0.01))
  shape bulb = sphere(radius=0.035, segments=16, rings=8)
  shape book = box(size=(0.3, 0.22, 0.04))
}

materials {
  material floor = principled(base_color=#6e6a64, roughness=0.9)
  material oak = principled(base_color=#a0703c)
  material brass = principled(base_color=#c9a227, metallic=1, roughness=0.3)
  material lamp_green = principled(base_color=#1e6b45, roughness=0.4)
  material glow = principled(base_color=#ffffff, emission_color=#ffe3a8, emission_strength=20)
  material cover = principled(base_color=#7b1f2a, roughness=0.7)
}

composition {
  camera cam at (1.5, -1.7, 1.45) look_at (-0.05, 0, 0.85) lens 35mm
  object floor_1 = ground material floor
  object desk_1 = desk material oak
  object base_1 = lamp_base at (-0.45, 0.15, 0.765) material brass
  object arm_1 = arm at (-0.37, 0.15, 0.99) rotate (0, 20deg, 0) material brass
  object shade_1 = shade at (-0.26, 0.15, 1.22) rotate (0, 30deg, 0) material lamp_green
  object bulb_1 = bulb at (-0.24, 0.15, 1.18) material glow
  object book_1 = book at (0