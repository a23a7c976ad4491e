"""The stage engine: plan, rounds, accept/revert, loop renders and the resumable run folder.

Entry point: `run_reconstruction(target, run_dir, proposer, EngineConfig(...), resume=False)`.
"""
