scenelang 1
geometry {
  shape b = box(size=(1e300, 1e300, 1e300))
}
composition {
  object o = b scale 1e10
}
