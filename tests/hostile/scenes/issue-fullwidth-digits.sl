scenelang 1
geometry {
  shape b = sphere(radius=1, segments=３２)
}
