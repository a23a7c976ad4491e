# A cantilevered staircase measured with constants: `let` names the rise, run and width of a step
# once, and every size and position below is arithmetic on them, so changing `rise` re-shapes
# the whole flight (steps, balusters, landing and wall).
scenelang 1

let rise = 0.18
let run = 0.28
let width = 1
let steps = 8
# the wall the steps are fixed into, and the baluster on each step
let wall = 0.2
let baluster = 0.9

geometry {
  shape ground = plane(size=14)
  shape step = box(size=(width, run, rise / 3))
  shape landing = box(size=(width, 3 * run, rise / 3))
  shape back_wall = box(size=(wall, (steps + 4) * run, (steps + 2) * rise + baluster))
  shape post = cylinder(radius=0.03, depth=baluster, vertices=12)
}

materials {
  material floor = principled(base_color=#8a8580, roughness=0.9)
  material oak = principled(base_color=#9c6b3c, roughness=0.45)
  material plaster = principled(base_color=#e8e2d6, roughness=0.8)
  material steel = principled(base_color=#2c2f33, metallic=1, roughness=0.35)
}

composition {
  camera cam at (3.8, -2.8, 2.4) look_at (0, run * steps / 2, rise * steps / 2) lens 30mm
  object floor_1 = ground material floor
  object wall_1 = back_wall at (-(width + wall) / 2, (steps + 2) * run / 2 - run, ((steps + 2) * rise + baluster) / 2) material plaster
  object flight = array(step, count=steps, offset=(0, run, rise)) at (0, 0, rise - rise / 6) material oak
  object top = landing at (0, steps * run + run, (steps + 1) * rise - rise / 6) material oak
  object balusters = array(post, count=steps, offset=(0, run, rise)) at (width / 2 - 0.05, 0, rise + baluster / 2) material steel
}

lighting {
  world color #d6dde6 strength 0.5
  light sun = sun(direction=(-0.5, 0.6, -1), energy=3.5, angle=4deg)
}
