"""The offline proposer (the default): a classical-vision draft, then render-and-compare refinement
with the numpy preview renderer. No network, no model."""
