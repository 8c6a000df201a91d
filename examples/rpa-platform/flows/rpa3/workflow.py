"""RPA 3: plan the nightly archive of the finance shared drive."""

import datetime
from pathlib import Path

import prefect as pf
import yaml

from shared.io import read_json, remove_paths, write_json, write_text

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


@pf.task
def load_manifest() -> list[dict]:
    """Read the shared-drive manifest exported by the file server."""
    manifest = read_json(DATA_DIR / "manifest.json", default={}) or {}
    return manifest.get("files", [])


@pf.task
def select_for_archive(files: list[dict], run_date: datetime.date, retention_days: int, max_files: int) -> list[dict]:
    """Pick the files whose last modification is older than the retention window."""
    cutoff = run_date - datetime.timedelta(days=retention_days)
    due = [f for f in files if datetime.date.fromisoformat(f["modified"]) < cutoff]
    return sorted(due, key=lambda f: f["modified"])[:max_files]


@pf.task
def build_move_plan(files: list[dict], target_dir: str, overwrite: bool) -> list[dict]:
    """Turn the selected files into source/target move operations."""
    return [
        {"source": f["path"], "target": f"{target_dir}/{f['path']}", "bytes": f["size"], "overwrite": overwrite}
        for f in files
    ]


@pf.flow(name="rpa3-file-sync", log_prints=True, retries=1, retry_delay_seconds=60)
def sync_shared_drive(
    run_date: datetime.date | None = None,
    target_dir: str = "archive",
    retention_days: int = 90,
    max_files: int = 200,
    overwrite: bool = False,
    cleanup: bool = True,
    use_distributed: bool = False,
) -> dict:
    """Select shared-drive files past their retention window and write the archive move plan as YAML."""
    logger = pf.get_run_logger()
    run_date = run_date or datetime.date.today()
    files = load_manifest()
    if not files:
        logger.warning("Manifest in %s is missing or empty; nothing to archive", DATA_DIR)
        return {"run_date": run_date.isoformat(), "moves": 0}

    due = select_for_archive(files, run_date, retention_days, max_files)
    if use_distributed and due:
        half = len(due) // 2 or 1
        futures = [build_move_plan.submit(chunk, target_dir, overwrite) for chunk in (due[:half], due[half:]) if chunk]
        plan = [move for future in futures for move in future.result()]
    else:
        plan = build_move_plan(due, target_dir, overwrite)

    scratch = write_json(OUTPUT_DIR / "selection.tmp.json", due)
    plan_file = write_text(
        OUTPUT_DIR / f"archive_plan_{run_date.isoformat()}.yaml",
        yaml.safe_dump({"run_date": run_date.isoformat(), "target_dir": target_dir, "moves": plan}, sort_keys=False),
    )
    if cleanup:
        remove_paths([scratch])

    total = sum(move["bytes"] for move in plan)
    print(f"{len(plan)} of {len(files)} file(s) due for archive ({total} bytes)")
    return {"run_date": run_date.isoformat(), "moves": len(plan), "plan": str(plan_file)}
