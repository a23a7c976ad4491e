# A wooden table with a ceramic bowl of fruit: unions built from a referenced leg, a bowl cut by
# difference, and a sun with a soft angle.
scenelang 1

geometry {
  shape ground = plane(size=20)
  # one leg, reused four times inside the table's union
  shape leg = cylinder(radius=0.04, depth=0.72, vertices=16)
  shape table = union(box(size=(2, 1.2, 0.08)) at (0, 0, 0.76), leg at (0.9, 0.5, 0.36), leg at (-0.9, 0.5, 0.36), leg at (0.9, -0.5, 0.36), leg at (-0.9, -0.5, 0.36))
  # a hemisphere shell: outer ball minus inner ball minus the top half
  shape bowl = difference(spher