"""scenelang layer."""
