scenelang 1
geometry {
  shape b = sphere(radius=١)
}
