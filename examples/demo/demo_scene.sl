scenelang 1

# The bundled demo: three simple objects on a grey ground under one sun, seen by the default
# camera. examples/demo/target.png is rendered from this file by scripts/make_demo_target.py,
# and `make demo` reconstructs the scene from that image alone.

geometry {
  shape ground = plane(size=1000)
  shape ball = sphere(radius=0.7)
  shape crate = box(size=(1.2, 1, 1))
  shape drum = cylinder(radius=0.45, depth=1.3)
}

materials {
  material concrete = principled(base_color=(0.4, 0.4, 0.4), roughness=0.9)
  material red = principled(base_color=#c0392b, roughness=0.6)
  material blue = principled(base_color=#2e86c1, roughness=0.7)
  material yellow = principled(base_color=#f1c40f, roughness=0.6)
}

composition {
  camera main at (7.36, -6.93, 4.96) look_at (0, 0, 0) resolution (320, 240)
  object ground = ground material concrete
  object ball_1 = ball at (0.8, 1.2, 0.7) material red
  object crate_1 = crate at (-1.2, -0.6, 0.5) rotate (0, 0, 25deg) material blue
  object drum_1 = drum at (1.4, -1.5, 0.65) material yellow
}

lighting {
  world color (0.05, 0.05, 0.05) strength 1
  light sun = sun(direction=(-0.5, 0.35, -0.8), energy=3)
}
