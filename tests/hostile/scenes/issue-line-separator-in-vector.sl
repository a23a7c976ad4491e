scenelang 1
geometry {
  shape b = box(size=(1, 1, 1))
}
