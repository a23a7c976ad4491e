scenelang 1
materials {
  material m = principled(base_color=#ffd9a0)
