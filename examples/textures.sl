# Textures: a checker floor, a wood-grain crate (wave rings, with a noise bump), a brick wall,
# a gradient vase and an image-tiled box; each texture is its own statement in the materials
# section, plugged into a material's base_color, roughness or bump by name.
scenelang 1

geometry {
  shape floor = box(size=(4, 3, 0.1))
  shape crate = box(size=(0.8, 0.8, 0.8))
  shape wall = box(size=(3, 0.2, 1.2))
  shape vase = revolve(profile=[(0, 0), (0.25, 0), (0.32, 0.3), (0.18, 0.75), (0.22, 0.9), (0, 0.9)], segments=48)
  shape block = box(size=(0.6, 0.6, 0.6))
}

materials {
  texture squares = checker(color1=#e8e4da, color2=#3a3d44, scale=2)
  texture grain = wave(color1=#6b4423, color2=#a8743f, scale=6, pattern=rings, axis=z)
  texture knots = noise(scale=20, detail=3)
  texture bricks = brick(color1=#a04030, color2=#7a2e22, mortar=#c8c0b0, scale=2.5)
  texture fade = gradient(color1=#203060, color2=#60a0e0, start=0, end=0.9)
  texture tiles = image(path="assets/tiles.png", scale=2)
  material floor_mat = principled(base_color=squares, roughness=0.4)
  material oak = principled(base_color=grain, roughness=0.6, bump=knots, bump_strength=0.3)
  material brick_mat = principled(base_color=bricks, roughness=0.9)
  material glaze = principled(base_color=fade, roughness=0.2)
  material tile_mat = principled(base_color=tiles)
}

composition {
  camera cam at (0, -4.6, 2.6) look_at (0, 0.2, 0.45) lens 40mm resolution (400, 300)
  object floor_1 = floor at (0, 0, -0.05) material floor_mat
  object wall_1 = wall at (0, 1.1, 0.6) material brick_mat
  object crate_1 = crate at (-1, 0, 0.4) rotate (0, 0, 20deg) material oak
  object vase_1 = vase at (0.2, -0.1, 0) material glaze
  object block_1 = block at (1.2, -0.2, 0.3) rotate (0, 0, -25deg) material tile_mat
}

lighting {
  world color #404850 strength 0.8
  light key = area(at=(-2, -3, 3.5), look_at=(0, 0, 0.3), energy=500, size=2)
  light fill = sun(direction=(0.4, 0.5, -0.7), energy=1.5)
}
