# A snowman: one unit sphere scaled three ways, a cone nose rotated to face the camera, a hat made
# by a union, and a portrait camera set by field of view.
scenelang 1

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
  camera cam at 