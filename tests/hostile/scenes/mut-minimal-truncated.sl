# The smallest useful scene: one cube on a floor under a sun. No camera statement, so the default
# camera at (7.36, -6.93, 4.96) looks at the origin.
scenelang 1

geometry {
  shape floor =