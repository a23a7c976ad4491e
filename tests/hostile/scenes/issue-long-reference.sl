scenelang 1
geometry {
  shape a = box(size=(1, 1, 1))
  shape b = union(a, nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn)
}
