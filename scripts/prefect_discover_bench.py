#!/usr/bin/env python3
"""Time Prefect's own flow discovery on a directory, in a fresh process.

Prefect's interactive `prefect deploy` finds flows with
`prefect.cli._prompts.search_for_flow_functions(directory, exclude_patterns=None)`
(async; it walks every *.py except **/site-packages/** and ast-parses each file).
This script runs exactly that function once, so prefectgen's Go discovery can be
compared with it.

    .cache/prefect-venv/bin/python scripts/prefect_discover_bench.py DIR [--list]

If the interpreter running it cannot import prefect, it re-executes itself with
$PREFECT_VENV/bin/python (default: <repo>/.cache/prefect-venv/bin/python).

Prints one JSON object on stdout:
  prefect_version  version of the imported prefect package
  import_seconds   time to import prefect and the discovery function
  seconds          wall time of one search_for_flow_functions call (excludes import)
  flows_found      number of records Prefect returned
  files_scanned    *.py files Prefect's walk selects (counted after the timing)
  bytes_scanned    their total size
  peak_rss_mb      peak resident set size of this process (ru_maxrss), in MiB
  import_peak_rss_mb  the same, measured right after the import
  flows            (with --list) the records: flow_name, function_name, filepath
"""

from __future__ import annotations

import argparse
import atexit
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _maxrss_mb() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        rss /= 1024
    return round(rss / 1024, 1)


def _reexec_in_venv() -> None:
    repo = Path(__file__).resolve().parent.parent
    venv = Path(os.environ.get("PREFECT_VENV", repo / ".cache" / "prefect-venv"))
    py = venv / "bin" / "python"
    if os.environ.get("_PREFECT_BENCH_REEXEC") or not py.exists():
        sys.exit(
            f"prefect_discover_bench: cannot import prefect with {sys.executable}; "
            "run scripts/prefect-venv.sh first, or use its python"
        )
    os.environ["_PREFECT_BENCH_REEXEC"] = "1"
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directory", help="directory to search (like `prefect deploy` run there)")
    ap.add_argument("--list", action="store_true", help="include the flow records in the output")
    args = ap.parse_args()

    directory = os.path.abspath(args.directory)
    if not os.path.isdir(directory):
        print(f"prefect_discover_bench: not a directory: {args.directory}", file=sys.stderr)
        return 2

    # Keep Prefect from touching ~/.prefect: importing it creates PREFECT_HOME.
    if "PREFECT_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="prefect-bench-home-")
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        os.environ["PREFECT_HOME"] = home

    t0 = time.perf_counter()
    try:
        import prefect
        from prefect.cli._prompts import search_for_flow_functions
    except ImportError:
        _reexec_in_venv()
        raise  # not reached
    import_seconds = time.perf_counter() - t0
    import_rss = _maxrss_mb()

    t1 = time.perf_counter()
    flows = asyncio.run(search_for_flow_functions(directory))
    seconds = time.perf_counter() - t1
    peak = _maxrss_mb()

    # Count what Prefect's walk selects, outside the timed region, with Prefect's own filter.
    from prefect.utilities.filesystem import filter_files

    files = filter_files(
        root=directory,
        ignore_patterns=["*", "!**/*.py", "**/site-packages/**"],
        include_dirs=False,
    )
    nbytes = 0
    for f in files:
        try:
            nbytes += os.path.getsize(os.path.join(directory, f))
        except OSError:
            pass

    out = {
        "prefect_version": prefect.__version__,
        "directory": directory,
        "import_seconds": round(import_seconds, 4),
        "seconds": round(seconds, 4),
        "flows_found": len(flows),
        "files_scanned": len(files),
        "bytes_scanned": nbytes,
        "peak_rss_mb": peak,
        "import_peak_rss_mb": import_rss,
    }
    if args.list:
        out["flows"] = [
            {**f, "filepath": os.path.relpath(f["filepath"], directory)} for f in flows
        ]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
