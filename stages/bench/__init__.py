"""`scenelang bench`: reconstruct generated scenes with known ground truth and measure the result."""
