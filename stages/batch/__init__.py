"""`scenelang batch`: many images, one run folder each, on a local process pool or a Ray cluster.

- `inputs`: files, folders, globs and list files -> resolved image paths, and each image's run
  folder name (`<stem>-<short hash of the resolved path>`);
- `manifest`: `OUT/results.jsonl` (one line per image, append + dedupe by image on read,
  compacted at the end of every batch) and `OUT/results.parquet`;
- `job`: what runs in a worker for one image (`run_image`): fresh, resumed or already finished;
- `executors`: the local process pool (default) and Ray (optional extra), both behind one
  `Executor.run(fn, items)` that yields results as they complete;
- `batch`: the driver (`run_batch`): skip finished images, dispatch the rest, record every result;
- `throughput`: `make bench-batch`, images/s of several executor configurations.

See docs/batch.md.
"""
