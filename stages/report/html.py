"""The reconstruction report: one self-contained `report.html` per run folder.

`write_report(run_dir)` reads the run folder (`scenelang.stages.report.data.load_run`, which
tolerates partial and interrupted runs) and writes `RUN/report.html`: the target beside the final
render with the final score and a one-line summary, a plot of the combined score over rounds
(selected scene vs best by metric, inline SVG), then every stage round by round (thumbnails with
scores, accepted/rejected/invalid badges, the verifier's checklist, the proposer's notes, the
errors fed back, and the `.sl` diff of every step), and the budget table (calls, tokens, images,
renders, time per stage).

The file is self-contained: images are embedded as base64 PNG data URIs (thumbnails at most
`THUMB_SIDE` px, target and final at most `HERO_SIDE` px on the long side), CSS and SVG are
inline, there is no script, and a Content-Security-Policy forbids loading anything but data:
images, so it opens offline and a malicious string in a model's answer cannot run or fetch
anything. Everything taken from the run folder is HTML-escaped (Jinja autoescape).
"""

from __future__ import annotations

import base64
import io
import sys
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from PIL import Image, UnidentifiedImageError

from scenelang.stages.files import atomic_write
from scenelang.stages.report.data import (
    METRIC_KEYS,
    RunView,
    StepView,
    load_run,
    number,
    run_file,
)
from scenelang.stages.report.plot import PlotPoint, score_plot

TEMPLATE = "template.html.j2"
"""The page template, package data of `scenelang.stages.report.html`."""
"""The page template (package data of `scenelang.stages`)."""

THUMB_SIDE = 256
"""Longest side, in px, of embedded round thumbnails."""

HERO_SIDE = 640
"""Longest side, in px, of the embedded target and final render."""

MAX_SHOWN_CHARS = 20_000
"""Longer texts (responses, patches) are cut to this many characters in the page."""

BUDGET_COLUMNS = (
    ("calls", "calls"), ("failed", "failed"), ("prompt_tokens", "prompt tok"),
    ("completion_tokens", "completion tok"), ("images_sent", "images sent"),
    ("renders", "renders"), ("render_seconds", "render time"), ("seconds", "time"),
)


def format_duration(seconds: float) -> str:
    """A short human duration: `4.2s`, `3m05s`, `1h02m` (negative values count as 0, a value
    that is not a finite number as `?`)."""
    seconds = number(seconds)
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# ------------------------------------------------------------------------------ pieces


def embed_image(path: Path | None, max_side: int) -> str | None:
    """A `data:image/png;base64,...` URI of the image at `path`, shrunk to `max_side` px on its
    long side; None when the file is missing or not a readable image."""
    if path is None:
        return None

    try:
        with Image.open(path) as im:
            im.load()
            if im.width < 1 or im.height < 1:
                return None
            if max(im.size) <= max_side and im.format == "PNG":
                data = Path(path).read_bytes()
            else:
                im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
                im.thumbnail((max_side, max_side), Image.LANCZOS)
                buf = io.BytesIO()
                im.save(buf, format="PNG", optimize=True)
                data = buf.getvalue()
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def diff_html(lines: list[str] | None) -> Markup:
    """Unified diff lines as coloured, escaped HTML lines (empty markup for no diff)."""
    if not lines:
        return Markup("")
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            css = "file"
        elif line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        else:
            css = "ctx"
        out.append(f'<span class="{css}">{escape(line) or " "}</span>')
    return Markup("".join(out))  # each line is a block: no newlines between them


def fmt_score(value: Any, digits: int = 3) -> str:
    v = number(value)
    return "–" if v is None else f"{v:.{digits}f}"


def fmt_delta(before: Any, after: Any) -> str:
    b, a = number(before), number(after)
    if a is None or b is None:
        return ""
    d = a - b
    return "±0.000" if abs(d) < 0.0005 else f"{d:+.3f}"


def fmt_metric(key: str, value: Any) -> str:
    v = number(value)
    if v is None:
        return "–"
    return f"{v:.1f} dB" if key == "psnr" else f"{v:.3f}"


def fmt_seconds(value: Any) -> str:
    v = number(value)
    return "–" if v is None else format_duration(v)


def fmt_int(value: Any) -> str:
    v = number(value)
    return "–" if v is None else f"{int(v):,}"


def shorten(text: str | None, limit: int = MAX_SHOWN_CHARS) -> str:
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit:,} more characters in the file)"


def summary_line(view: RunView) -> str:
    """"reconstructed N objects, score X → Y in T with K calls" (with "?" for what is unknown)."""
    objects = "?" if view.object_count is None else str(view.object_count)
    noun = "object" if view.object_count == 1 else "objects"
    calls = "?" if view.calls is None else str(view.calls)
    call_noun = "call" if view.calls == 1 else "calls"
    elapsed = "?" if view.elapsed is None else format_duration(view.elapsed)
    line = (f"reconstructed {objects} {noun}, score {fmt_score(view.start_score)} → "
            f"{fmt_score(view.end_score)} in {elapsed} with {calls} {call_noun}")
    if view.status not in ("finished",):
        line = f"{view.status} run: {line}"
    return line


def proposer_line(info: dict[str, Any]) -> str:
    """"vlm (model gpt-4o, base_url http://...)" from run.json's proposer entry (secrets dropped)."""
    name = str(info.get("name", "")) if info.get("name") is not None else ""
    rest = [f"{k} {v}" for k, v in info.items() if k != "name" and isinstance(v, (str, int, float))
            and not any(word in k.lower() for word in ("key", "token", "secret", "password"))]
    if not rest:
        return name
    return f"{name} ({', '.join(rest)})" if name else ", ".join(rest)


def plot_points(view: RunView) -> list[PlotPoint]:
    return [PlotPoint(label=str(step.number), stage=step.stage, status=step.status,
                      proposed=step.combined, selected=step.selected_combined,
                      best=step.best_combined) for step in view.steps]


def budget_rows(view: RunView) -> list[dict[str, str]]:
    """Rows of the budget table: one per stage in run order, then the total."""
    stages = view.budget.get("stages") if isinstance(view.budget.get("stages"), dict) else {}
    order = ["start"] + [s.key for s in view.stages] + ["final"]
    names = [k for k in order if k in stages] + [k for k in stages if k not in order]
    rows = [_budget_row(name, stages[name]) for name in names]
    total = view.budget.get("total")
    if isinstance(total, dict):
        rows.append(_budget_row("total", total) | {"total": "yes"})
    return rows


TOKEN_COLUMNS = ("prompt_tokens", "completion_tokens", "images_sent")
"""Columns only a model-backed proposer fills; hidden when every row is 0 (e.g. offline)."""


def budget_columns(rows: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    """`BUDGET_COLUMNS` without the token and image columns when no row has a non-zero value."""
    used = {key for key in TOKEN_COLUMNS
            if any(row.get(key) not in ("0", "", "-", "?", None) for row in rows)}
    return tuple((k, label) for k, label in BUDGET_COLUMNS if k not in TOKEN_COLUMNS or k in used)


def time_note(view: RunView) -> str | None:
    """Why the header's time differs from the budget table's total time, when it does: the
    header counts wall time of all sessions (start render, final render, waiting included)."""
    total = _budget_total_seconds(view)
    if view.elapsed is None or total is None or abs(view.elapsed - total) < 1.0:
        return None
    return (f"The header's {format_duration(view.elapsed)} is the run's wall time over all "
            f"sessions; the table's total ({format_duration(total)}) counts only the time spent "
            f"inside rounds and renders.")


def _budget_total_seconds(view: RunView) -> float | None:
    total = view.budget.get("total")
    return number(total.get("seconds")) if isinstance(total, dict) else None


def _budget_row(name: str, counters: Any) -> dict[str, str]:
    c = counters if isinstance(counters, dict) else {}
    usage = c.get("usage") if isinstance(c.get("usage"), dict) else {}
    values = {
        "calls": fmt_int(c.get("calls")), "failed": fmt_int(c.get("failed_calls")),
        "prompt_tokens": fmt_int(usage.get("prompt_tokens")),
        "completion_tokens": fmt_int(usage.get("completion_tokens")),
        "images_sent": fmt_int(usage.get("images_sent")), "renders": fmt_int(c.get("renders")),
        "render_seconds": fmt_seconds(c.get("render_seconds")),
        "seconds": fmt_seconds(c.get("seconds")),
    }
    return {"name": name, **values}


def _step_context(step: StepView) -> dict[str, Any]:
    return {
        "view": step,
        "anchor": f"{step.stage}-{step.number}",
        "thumb": embed_image(step.render, THUMB_SIDE),
        "score": fmt_score(step.combined),
        "delta": fmt_delta(step.previous, step.combined),
        "before": fmt_score(step.previous),
        "diff": diff_html(step.diff),
        "diff_changed": any(line[:1] in "+-" and not line.startswith(("+++", "---"))
                            for line in step.diff or []),
        "patch": shorten(step.patch_text),
        "response": shorten(step.response_text),
        "notes": shorten(step.notes, 4000),
        "candidates": [{"number": c.number, "score": fmt_score(c.combined), "errors": c.errors,
                        "thumb": embed_image(c.render, THUMB_SIDE // 2)}
                       for c in step.candidates],
        "metrics": [(k, fmt_metric(k, step.score.get(k))) for k in METRIC_KEYS
                    if k in step.score and k != "combined"],
    }


def _stage_context(view: RunView) -> list[dict[str, Any]]:
    out = []
    for index, stage in enumerate(view.stages, 1):
        before, after = stage.score_range()
        counters = (view.budget.get("stages") or {}).get(stage.key) if isinstance(
            view.budget.get("stages"), dict) else None
        counters = counters if isinstance(counters, dict) else {}
        planned = stage.planned_rounds
        rounds = f"{len(stage.steps)}" + (f" of {planned}" if planned is not None else "")
        out.append({
            "index": index, "key": stage.key, "folder": stage.folder, "rounds": rounds,
            "accepted": stage.accepted, "before": fmt_score(before), "after": fmt_score(after),
            "delta": fmt_delta(before, after), "calls": fmt_int(counters.get("calls")),
            "seconds": fmt_seconds(counters.get("seconds")),
            "steps": [_step_context(step) for step in stage.steps],
        })
    return out


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scenelang.stages.report.html", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_report(run_dir: str | Path) -> str:
    """The report page of the run folder at `run_dir`, as HTML text."""
    view = load_run(run_dir)
    run = view.run
    settings = run.get("settings") if isinstance(run.get("settings"), dict) else {}
    proposer = run.get("proposer") if isinstance(run.get("proposer"), dict) else {}
    final_metrics = [(k, fmt_metric(k, view.final_score.get(k))) for k in METRIC_KEYS
                     if k in view.final_score]
    final_image = embed_image(view.final_png, HERO_SIDE)
    final_caption = "final render"
    if final_image is None:  # an unfinished run: show the selected scene's loop render
        step = view.selected.get("step")
        if isinstance(step, str):
            final_image = embed_image(run_file(view.root, step, "render.png"), HERO_SIDE)
            final_caption = f"selected so far ({step}); final.png not written yet"
    rows = budget_rows(view)
    context = {
        "title": view.root.resolve().name or "run",
        "summary": summary_line(view),
        "status": view.status,
        "stopped": run.get("stopped") if isinstance(run.get("stopped"), str) else None,
        "mode": settings.get("mode", "?"),
        "resumed": sum(1 for x in run.get("sessions", []) if isinstance(x, dict) and x.get("resumed"))
        if isinstance(run.get("sessions"), list) else 0,
        "proposer": proposer_line(proposer),
        "target": embed_image(view.target, HERO_SIDE),
        "final": final_image,
        "final_caption": final_caption,
        "start": embed_image(view.start_render, THUMB_SIDE),
        "start_score": fmt_score(view.start_score),
        "end_score": fmt_score(view.end_score),
        "delta": fmt_delta(view.start_score, view.end_score),
        "final_metrics": final_metrics,
        "selected": view.selected,
        "best": view.best_by_metric,
        "selected_score": fmt_score(view.selected.get("combined"), 4),
        "best_score": fmt_score(view.best_by_metric.get("combined"), 4),
        "problems": view.problems,
        "plot": score_plot(view.start_score, plot_points(view)),
        "stages": _stage_context(view),
        "budget_columns": budget_columns(rows),
        "time_note": time_note(view),
        "budget_rows": rows,
        "caps": {"calls": view.budget.get("max_calls"), "seconds": view.budget.get("max_seconds")},
        "final_files": view.final_files,
        "confidence": confidence_context(run.get("confidence")),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return _environment().get_template(TEMPLATE).render(**context)


def confidence_context(data: Any) -> dict[str, Any] | None:
    """The confidence block of run.json, checked and formatted (None when absent or damaged)."""
    if not isinstance(data, dict):
        return None
    overall = number(data.get("overall"))
    objects = data.get("objects") if isinstance(data.get("objects"), dict) else {}
    doubts = data.get("doubts") if isinstance(data.get("doubts"), list) else []
    return {"overall": fmt_score(overall),
            "objects": [(str(k), fmt_score(number(v))) for k, v in objects.items()],
            "doubts": [str(d) for d in doubts]}


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of `run_dir` to `out` (default `RUN/report.html`) and return its path.

    Never fails because of a partial or damaged run folder; raises `OSError` only when the
    output cannot be written.
    """
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    atomic_write(path, render_report(run_dir))
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m scenelang.stages.report.html RUN [OUT]`."""
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python -m scenelang.stages.report.html RUN [OUT]", file=sys.stderr)
        return 2
    print(write_report(args[0], args[1] if len(args) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
