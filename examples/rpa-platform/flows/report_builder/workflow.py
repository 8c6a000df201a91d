"""Report builder: weekly summary of how the RPA robots performed."""

from collections import defaultdict
from pathlib import Path

import yaml
from prefect import flow, get_run_logger, task, unmapped

from shared.io import read_json, remove_paths, write_json, write_text

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


@task
def load_run_stats(weeks: int) -> list[dict]:
    """Read the exported run statistics and keep the most recent weeks."""
    stats = read_json(DATA_DIR / "run_stats.json", default=[]) or []
    latest_weeks = sorted({row["week"] for row in stats})[-weeks:]
    return [row for row in stats if row["week"] in latest_weeks]


@task
def summarise(stats: list[dict], include_failed: bool) -> dict:
    """Aggregate completed and failed runs per robot."""
    summary: dict = defaultdict(lambda: {"completed": 0, "failed": 0, "minutes": 0.0})
    for row in stats:
        robot = summary[row["robot"]]
        robot["completed"] += row["completed"]
        robot["minutes"] += row["minutes"]
        if include_failed:
            robot["failed"] += row["failed"]
    return {name: dict(values) for name, values in sorted(summary.items())}


@task
def merge_summaries(parts: list[dict]) -> dict:
    """Add up partial summaries computed in parallel."""
    merged: dict = defaultdict(lambda: {"completed": 0, "failed": 0, "minutes": 0.0})
    for part in parts:
        for robot, values in part.items():
            for key, value in values.items():
                merged[robot][key] += value
    return {name: dict(values) for name, values in sorted(merged.items())}


@task
def render_markdown(title: str, summary: dict, header: dict) -> str:
    """Render the summary as a Markdown table."""
    lines = [f"# {title}", ""]
    lines += [f"- {key}: {value}" for key, value in sorted(header.items())]
    lines += ["", "| robot | completed | failed | minutes |", "| --- | ---: | ---: | ---: |"]
    for robot, values in summary.items():
        lines.append(f"| {robot} | {values['completed']} | {values['failed']} | {values['minutes']:.1f} |")
    return "\n".join(lines) + "\n"


@flow
def build_weekly_report(
    title: str = "Weekly RPA Report",
    weeks: int = 1,
    include_failed: bool = True,
    output_format: str = "markdown",
    cleanup: bool = True,
    use_distributed: bool = False,
    **kwargs,
):
    """Summarise the robots' run statistics for the last weeks as Markdown or YAML.

    Extra keyword arguments are written into the report header (for example ``team="finance"``).
    """
    logger = get_run_logger()
    stats = load_run_stats(weeks)
    if not stats:
        logger.warning("No run statistics found in %s", DATA_DIR)
        return None

    if use_distributed:
        parts = summarise.map([[row] for row in stats], unmapped(include_failed)).result()
        summary = merge_summaries(parts)
    else:
        summary = summarise(stats, include_failed)
    scratch = write_json(OUTPUT_DIR / "summary.tmp.json", summary)
    if output_format == "yaml":
        document = {"title": title, **{str(k): str(v) for k, v in kwargs.items()}, "robots": summary}
        report = write_text(OUTPUT_DIR / "weekly_report.yaml", yaml.safe_dump(document, sort_keys=False))
    else:
        report = write_text(OUTPUT_DIR / "weekly_report.md", render_markdown(title, summary, kwargs))
    if cleanup:
        remove_paths([scratch])

    logger.info("Report for %d robot(s) written to %s", len(summary), report)
    return str(report)
