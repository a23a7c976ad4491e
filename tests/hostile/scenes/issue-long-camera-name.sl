scenelang 1
composition {
  camera nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn at (1, 1, 1) look_at (0, 0, 0)
}
