"""The self-contained `report.html` of a run folder (`write_report(run_dir)`)."""
