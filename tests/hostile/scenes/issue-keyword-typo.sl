scenelang 1
geometry {
  shape leg = box(size=(1, 1, 1))
}
composition {
  objct b = leg
}
