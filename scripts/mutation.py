"""`make mutation`: mutation testing with mutmut 3 on the modules where a silent bug costs most.

    python scripts/mutation.py [--group NAME ...] [--max-children 2] [--keep] [--out build/mutation]

Each group below mutates a few modules (or only some functions of a module, by mutant-name
globs) and runs a fast test selection: mutmut first records which of those tests call which
function, then runs, for every mutant, only the tests that reach its function. A mutant is
`killed` when a test fails, `timeout` when the tests run past mutmut's CPU limit (an endless
loop: also detected), `survived` when every test still passes.

Layout: the layer folders (compiler/ backends/ stages/ ...) are linked into scenelang/, and mutmut
3 walks its source paths without following links, so every group works in its own folder
`<out>/<group>/` holding a generated `pyproject.toml` (the project's, plus a `[tool.mutmut]`
table listing `scenelang` and each linked layer as source paths, so the copy in `mutants/` has
real folders and module names match import names) and links to `scenelang/`, `tests/`,
`scripts/` and `examples/`. The checkout itself is never modified.

Writes `<out>/report.md` (per module: mutants, killed, timeout, survived, no tests, score; then
every survivor with its diff) and prints the totals. Score = (killed + timeout) / mutants.
Default: a fresh run (the group's `mutants/` is removed first); `--keep` reuses mutmut's cached
results (only changed functions are re-tested). Exit code 0 when the run completed, whatever the
score; 1 when mutmut failed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("grammar", "compiler", "backends", "stages", "cli")
LINKED = ("scenelang", "tests", "scripts", "examples")


@dataclass(frozen=True)
class Group:
    """`mutate`: files (as mutmut sees them, under scenelang/); `tests`: pytest selection;
    `mutants`: mutant-name globs to restrict to some functions (empty: every mutant)."""

    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    mutants: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = field(default=())
    skip_lines: tuple[str, ...] = ()  # regexes of source lines mutmut leaves alone


def _funcs(module: str, *names: str) -> tuple[str, ...]:
    """Mutant-name globs for the named functions (`Class.method` for a method) of `module`."""
    globs = []
    for name in names:
        if "." in name:
            cls, _, meth = name.partition(".")
            globs.append(f"{module}.x\u01c1{cls}\u01c1{meth}__mutmut_*")
        else:
            globs.append(f"{module}.x_{name}__mutmut_*")
    return tuple(globs)


# Property tests (Hypothesis, 60 generated scenes each) are left out: a surviving mutant runs
# every selected test that reaches its function, and they would make the core group take hours.
# The example-based tests below are what the score measures.
GROUPS = (
    Group(
        "core",
        mutate=("scenelang/validate.py", "scenelang/patches.py"),
        tests=("tests/core/test_validate.py", "tests/core/test_patches.py",
               "tests/core/test_deliberate_bugs_core.py", "tests/core/test_patch_messages.py",
               "tests/core/test_validate_messages.py", "tests/core/test_validate_v2.py",
               "tests/core/test_validate_findings.py",
               "tests/core/test_patch_positions.py", "tests/core/test_groups_instances_arrays.py",
               "tests/core/test_constants.py", "tests/core/test_textures.py",
               "tests/core/test_diff_constants_exact.py",
               # the validator's checks of v2 shapes (the rest of the file is parsing/printing)
               "tests/core/test_language_v2.py::test_bad_profiles_are_positioned_errors_with_hints",
               "tests/core/test_language_v2.py::test_operand_materials_print_and_must_exist",
               "tests/core/test_language_v2.py::test_bad_asset_paths_are_positioned_errors_with_hints",
               "tests/core/test_language_v2.py::test_asset_path_is_relative_to_the_scene_file",
               "tests/core/test_language_v2.py::test_asset_over_the_size_limit"),
        pytest_args=("-m", "not property"),
    ),
    Group(
        "script_check",
        mutate=("scenelang/compiler/script_check.py",),
        tests=("tests/compiler/test_script_check.py", "tests/compiler/test_script_check_messages.py"),
    ),
    Group(
        "score",
        mutate=("scenelang/stages/metrics.py",),
        tests=("tests/stages/test_metrics.py", "tests/stages/test_deliberate_bugs_stages.py",
               "tests/stages/test_score_definitions.py"),
        mutants=_funcs("scenelang.stages.metrics", "score", "Score.to_dict", "psnr", "ssim",
                       "_ssim_terms", "silhouette_iou", "mean_color_error", "edge_f1"),
        pytest_args=("-m", "not blender and not property"),
    ),
    Group(
        "blender_env",
        mutate=("scenelang/backends/blender/runner.py",),
        tests=("tests/stages/test_deliberate_bugs_stages.py::test_one_shot_blender_run_gets_no_api_keys",
               "tests/backends/test_blender_env.py"),
        mutants=_funcs("scenelang.backends.blender.runner", "clean_env"),
    ),
    Group(
        "resume",
        mutate=("scenelang/stages/engine/resume.py",),
        tests=("tests/stages/test_resume_check.py",),
    ),
    # accept/revert: a round (choose, accept or reject, record) and a candidate's render; every
    # test here runs Blender, so only these two functions, and log lines are not mutated
    Group(
        "engine",
        mutate=("scenelang/stages/engine/loop.py",),
        tests=("tests/stages/test_engine_rounds.py",),
        mutants=_funcs("scenelang.stages.engine.loop", "Engine._round", "Engine._render_candidate"),
        skip_lines=(r"^\s*log\.(debug|info|warning|error)\(",),
    ),
)


def toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(x) for x in items) + "]"


def prepare(group: Group, folder: Path, keep: bool) -> None:
    """The group's working folder: links to the checkout and a pyproject.toml with mutmut's
    configuration appended to the project's."""
    if folder.exists() and not keep:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    tests = [t for t in group.tests if (ROOT / t.split("::")[0]).exists()]
    source_paths = ["scenelang"] + [f"scenelang/{layer}" for layer in LAYERS]
    config = "\n".join([
        "",
        "[tool.mutmut]",
        f"source_paths = {toml_list(source_paths)}",
        f"only_mutate = {toml_list(group.mutate)}",
        f"also_copy = {toml_list(['scripts', 'examples'])}",
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
        f"pytest_add_cli_args = {toml_list(['-p', 'no:cacheprovider', *group.pytest_args])}",
        "use_git_change_detection = false",
        f"do_not_mutate_patterns = {toml_list(group.skip_lines)}",
        "",
    ])
    (folder / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + config)


def run_group(group: Group, folder: Path, max_children: int, log: Path,
              names: list[str] | None = None) -> bool:
    """`mutmut run` in the group's folder (only `names` when given); its output goes to `log`.
    True when it completed."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children),
               *(names if names is not None else group.mutants)]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with log.open("w") as out:
        done = subprocess.run(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env)
    return done.returncode == 0


def results(group: Group, folder: Path) -> dict[str, dict[str, str]]:
    """module path -> {mutant name: status}, read from mutmut's .meta files."""
    from mutmut.stats import status_by_exit_code  # the tool itself: only the mutation run needs it

    found: dict[str, dict[str, str]] = {}
    for path in group.mutate:
        meta = folder / "mutants" / (path + ".meta")
        statuses: dict[str, str] = {}
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            for key, code in codes.items():
                if group.mutants and not any(fnmatch.fnmatch(key, g) for g in group.mutants):
                    continue
                statuses[key] = status_by_exit_code[code]
        found[path] = statuses
    return found


def exit_codes(group: Group, folder: Path) -> dict[str, dict]:
    """module path -> mutmut's .meta data (exit code per mutant, hash per function)."""
    codes = {}
    for path in group.mutate:
        meta = folder / "mutants" / (path + ".meta")
        if meta.exists():
            codes[path] = json.loads(meta.read_text())
    return codes


def refresh_copy(group: Group, folder: Path) -> None:
    """Before `--retest`: drop mutmut's copies of the files it does not mutate (and their caches),
    so the run uses the checkout as it is now; the mutated files and their verdicts stay."""
    keep = {folder / "mutants" / (p + suffix) for p in group.mutate for suffix in ("", ".meta", ".spans")}
    base = folder / "mutants" / "scenelang"
    for path in sorted(base.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()


def keep_killed(group: Group, folder: Path, before: dict[str, dict]) -> None:
    """After `--retest`: mutmut resets every verdict when the test selection grows (new test
    files), then re-tests only the named survivors; a mutant killed before stays killed (tests
    were only added) when its function is unchanged, so its old verdict is put back."""
    for path, old in before.items():
        meta = folder / "mutants" / (path + ".meta")
        data = json.loads(meta.read_text())
        codes, hashes = data["exit_code_by_key"], data.get("hash_by_function_name", {})
        old_hashes = old.get("hash_by_function_name", {})
        for key, code in old["exit_code_by_key"].items():
            function = key.rpartition("__mutmut_")[0].rpartition(".")[2]
            unchanged = function in hashes and hashes.get(function) == old_hashes.get(function)
            if key in codes and codes[key] is None and code is not None and unchanged:
                codes[key] = code
        meta.write_text(json.dumps(data, indent=4))


def diff_of(folder: Path, module: str, mutant: str) -> str:
    """The mutant's changed lines (unified diff without its header), read from mutmut's copy."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # the tool: only make mutation needs it

    here = Path.cwd()
    os.chdir(folder)
    try:
        diff = get_diff_for_mutant(mutant, path=module)
    except Exception as exc:  # a missing diff must not lose the report
        return f"(no diff: {exc})"
    finally:
        os.chdir(here)
    return "\n".join(line for line in diff.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---")))


def score_row(statuses: dict[str, str]) -> dict[str, int | float]:
    counts = {s: sum(1 for v in statuses.values() if v == s)
              for s in ("killed", "timeout", "survived", "no tests")}
    total = len(statuses)
    counts["other"] = total - sum(counts.values())
    counts["total"] = total
    counts["score"] = (counts["killed"] + counts["timeout"]) / total if total else 0.0
    return counts


def write_report(out: Path, rows: list[tuple[str, str, dict[str, str], Path]], seconds: float) -> str:
    lines = ["# Mutation testing (mutmut)", "",
             f"Run took {seconds / 60:.1f} min. Score = (killed + timeout) / mutants.", "",
             "| group | module | mutants | killed | timeout | survived | no tests | other | score |",
             "|---|---|---|---|---|---|---|---|---|"]
    every: dict[str, str] = {}
    for group, module, statuses, _ in rows:
        c = score_row(statuses)
        every.update(statuses)
        lines.append(f"| {group} | `{module.removeprefix('scenelang/')}` | {c['total']} | {c['killed']} | "
                     f"{c['timeout']} | {c['survived']} | {c['no tests']} | {c['other']} | "
                     f"{c['score']:.1%} |")
    t = score_row(every)
    summary = (f"total: {t['total']} mutants, {t['killed']} killed, {t['timeout']} timeout, "
               f"{t['survived']} survived, {t['no tests']} no tests, {t['other']} other; "
               f"score {t['score']:.1%}")
    lines += [f"| **all** | | {t['total']} | {t['killed']} | {t['timeout']} | {t['survived']} | "
              f"{t['no tests']} | {t['other']} | **{t['score']:.1%}** |", "", summary, "",
              "## Not killed", ""]
    for _, module, statuses, folder in rows:
        for name, status in sorted(statuses.items()):
            if status in ("killed", "timeout"):
                continue
            lines += [f"### {name} ({status})", "", "```diff", diff_of(folder, module, name), "```", ""]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", action="append", choices=[g.name for g in GROUPS],
                        help="run only this group (repeatable; default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument("--keep", action="store_true", help="reuse cached results")
    parser.add_argument("--retest", action="store_true",
                        help="run again only the mutants a previous run did not kill (after new tests)")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report, run nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mutation")
    args = parser.parse_args(argv)
    groups = [g for g in GROUPS if not args.group or g.name in args.group]
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    ok = True
    rows = []
    for group in groups:
        folder = args.out / group.name
        if not args.report_only:
            names = None
            if args.retest:
                names = [name for statuses in results(group, folder).values()
                         for name, status in statuses.items()
                         if status not in ("killed", "timeout", "not checked")]
                if not names:
                    rows += [(group.name, m, st, folder) for m, st in results(group, folder).items()]
                    continue
            before = exit_codes(group, folder) if args.retest else {}
            if args.retest:
                refresh_copy(group, folder)
            prepare(group, folder, args.keep or args.retest)
            t0 = time.monotonic()
            print(f"mutation: {group.name} ({', '.join(group.mutate)}) ...", flush=True)
            if not run_group(group, folder, args.max_children, args.out / f"{group.name}.log", names):
                print(f"mutation: mutmut failed for {group.name}, see {args.out / group.name}.log")
                ok = False
            if args.retest:
                keep_killed(group, folder, before)
                # mutants of functions changed since the first run have no verdict yet
                fresh = [name for statuses in results(group, folder).values()
                         for name, status in statuses.items() if status == "not checked"]
                if fresh and not run_group(group, folder, args.max_children,
                                           args.out / f"{group.name}-new.log", fresh):
                    ok = False
            print(f"mutation: {group.name} done in {time.monotonic() - t0:.0f} s", flush=True)
        for module, statuses in results(group, folder).items():
            rows.append((group.name, module, statuses, folder))
    summary = write_report(args.out, rows, time.monotonic() - start)
    for _, module, statuses, _ in rows:
        c = score_row(statuses)
        print(f"  {module}: {c['total']} mutants, {c['killed'] + c['timeout']} killed, "
              f"{c['survived']} survived, score {c['score']:.1%}")
    print(f"mutation: {summary}; report {args.out / 'report.md'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
