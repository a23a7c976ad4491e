scenelang 1
geometry {
  shape b = box(size=(1e30, 1e30, 1e30))
}
composition {
  object o = b scale 1e10
}
