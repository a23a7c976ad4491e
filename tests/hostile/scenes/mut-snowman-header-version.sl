# A snowman: one unit sphere scaled three ways, a cone nose rotated to face the camera, a hat made
# by a union, and a portrait camera set by field of view.
scenelang 2

geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=1, segments=48, rings=24)
  # the cone points along +z; rotating 90deg about x points it along -y, towards the camera
  shape nose = cone(radius=0.05, depth=0.3, vertices=16) rotate (90deg, 0, 0)
  shape hat = union(cylinder(radius=0.32, depth=0.03), cylinder(radius=0.2, depth=0.32) at (0, 0, 0.17))
  shape pebble = sphere(radius=0.035, segments=12, rings=6)
}

materials {
  material snow = principled(base_color=(0.7, 0.72, 0.76), roughness=0.8, specular=0.3)
  material carrot = principled(base_color=#e67e22, roughness=0.6)
  material coal = principled(base_color=#1c1c1c, roughness=0.9)
}

composition {
  camera cam at (2.4, -5.2, 1.9) look_at (0, 0, 1.25) fov 35deg resolution (480, 640)
  object ground_1 = ground material snow
  object bottom = ball at (0, 0, 0.55) scale 0.6 material snow
  object middle = ball at (0, 0, 1.42) scale 0.42 material snow
  object head = ball at (0, 0, 2.03) scale 0.3 material snow
  object nose_1 = nose at (0, -0.4, 2.03) material carrot
  object hat_1 = hat at (0, 0, 2.3) rotate (0, 6deg, 0) material coal
  object eye_l = pebble at (-0.1, -0.26, 2.12) material coal
  object eye_r = pebble at (0.1, -0.26, 2.12) material coal
  object button_1 = pebble at (0, -0.4, 1.55) material coal
  object button_2 = pebble at (0, -0.42, 1.35) material coal
}

lighting {
  world color #9fb4cc strength 0.7
  light sun = sun(direction=(0.5, 0.6, -0.8), color=#fff1dc)
  # a cool fill from the front left, soft because of its large radius
  light fill = point(at=(-3, -3, 3), energy=400, color=(0.75, 0.85, 1), radius=0.5)
}
