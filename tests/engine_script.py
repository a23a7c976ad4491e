"""A target scene and a scripted model's good answers, shared by the engine and CLI tests."""

TARGET_SL = """scenelang 1

geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.8)
  shape crate = box(size=(1, 1, 1))
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material grey = principled(base_color=(0.5, 0.5, 0.5))
}

composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) resolution (96, 72)
  object ground_1 = ground material grey
  object ball_1 = ball at (0, 0, 0.8) material red
  object crate_1 = crate at (1.5, 1.5, 0.5) material grey
}

lighting {
  world color #303030 strength 1
  light key = sun(direction=(-0.3, 0.4, -1), energy=3)
}
"""


def block(text: str) -> str:
    return f"Here is my patch.\n\n```sl\n{text.strip()}\n```\n"


GEOMETRY = block("""patch geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.8)
}""")
GEOMETRY_2 = block("patch geometry {\n  shape crate = box(size=(1, 1, 1))\n}")
MATERIALS = block("""replace materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material grey = principled(base_color=(0.5, 0.5, 0.5))
}""")
COMPOSITION = block("""patch composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) resolution (96, 72)
  object ground_1 = ground material grey
  object ball_1 = ball at (0, 0, 0.8) material red
  object crate_1 = crate at (1.5, 1.5, 0.5) material grey
}""")
LIGHTING = block("""patch lighting {
  world color #303030 strength 1
  light key = sun(direction=(-0.3, 0.4, -1), energy=3)
}""")
DARKER = block("patch lighting {\n  set key.energy = 0\n  set world.strength = 0\n}")
GOOD = {("geometry", 1): GEOMETRY, ("geometry", 2): GEOMETRY_2, ("materials", 1): MATERIALS,
        ("composition", 1): COMPOSITION, ("lighting", 1): LIGHTING, ("lighting", 2): DARKER}
