package discover

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Synthetic repositories for tests, benchmarks and scripts/bench-discover.sh.
//
// A synthetic repository is a deterministic function of (files, flowEvery):
// every file's content comes from a PCG generator seeded with a fixed seed
// and the file's index, so the same arguments give byte-identical trees on
// every run and machine, whatever order the files are written in.
//
// Layout: pkgNNN/subNN/modNNNNN.py, synthPerFolder files per folder and
// ten sub-packages per package, no __init__.py (namespace packages), a
// root requirements.txt that provides every third-party import used, and a
// root .gitignore. File i (from 0) defines one or two flows when
// i%flowEvery == 0; file i is a Prefect task module (it imports prefect
// but defines no flow, so it passes the byte pre-filter and is parsed)
// when flowEvery >= 4 and i%flowEvery == flowEvery/2. Every other file is
// plain Python that mentions "workflow" but never "prefect".

var (
	synthWriteDir = flag.String("synth.write", "", "with -run TestWriteSynth: write a synthetic repository to the absolute `DIR` (absent or empty) and stop")
	synthFiles    = flag.Int("synth.files", 10000, "number of Python files of -synth.write")
	synthEvery    = flag.Int("synth.every", 20, "with -synth.write, every `K`th file defines flows (1: all)")
)

// synthSeed is the fixed seed of every synthetic repository.
const synthSeed = 0x5eed_0f_f10e5

const synthPerFolder = 40

// synthStats describes a written synthetic repository.
type synthStats struct {
	Files        int // Python files written
	FlowFiles    int // files that define flows
	TaskFiles    int // files that import prefect without defining a flow
	Flows        int // flows defined; prefectgen must find exactly these
	PrefectFlows int // flows whose decorator Prefect's own search_for_flow_functions recognises
	Bytes        int64
}

// writeSynthRepo writes a synthetic repository of files Python files under
// dir (which must be absent or empty) and returns what it holds.
func writeSynthRepo(tb testing.TB, dir string, files, flowEvery int) synthStats {
	tb.Helper()
	if files < 1 || flowEvery < 1 {
		tb.Fatalf("writeSynthRepo: files (%d) and flowEvery (%d) must be positive", files, flowEvery)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		tb.Fatalf("writeSynthRepo: %s is not empty", dir)
	}
	var st synthStats
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range files {
		f := synthFile(i, files, flowEvery, 0)
		write(f.rel, f.src)
		st.Files++
		st.Bytes += int64(len(f.src))
		st.Flows += f.flows
		st.PrefectFlows += f.prefectFlows
		switch {
		case f.flows > 0:
			st.FlowFiles++
		case f.task:
			st.TaskFiles++
		}
	}
	write("requirements.txt", synthRequirements())
	write(".gitignore", []byte(synthGitignore))
	return st
}

// synthOut is one generated Python file.
type synthOut struct {
	rel          string
	src          []byte
	flows        int
	prefectFlows int
	task         bool
}

func synthPath(i int) string {
	folder := i / synthPerFolder
	return fmt.Sprintf("pkg%03d/sub%02d/mod%05d.py", folder/10, folder%10, i)
}

// synthImport is an import statement and the requirement providing it.
type synthImport struct{ stmt, req string }

// synthThirdParty mixes distributions named like their module with the
// usual mismatches (yaml/PyYAML, dateutil, bs4, PIL, sklearn, dotenv,
// psycopg2) and a namespace package (google.cloud.storage).
var synthThirdParty = []synthImport{
	{"import requests", "requests==2.32.3"},
	{"import yaml", "PyYAML==6.0.2"},
	{"import numpy as np", "numpy==2.1.3"},
	{"import pandas as pd", "pandas==2.2.3"},
	{"import httpx", "httpx==0.28.1"},
	{"from pydantic import BaseModel, Field", "pydantic==2.10.4"},
	{"import sqlalchemy as sa", "SQLAlchemy==2.0.36"},
	{"from dateutil import parser as dateparser", "python-dateutil==2.9.0.post0"},
	{"import boto3", "boto3==1.35.90"},
	{"from bs4 import BeautifulSoup", "beautifulsoup4==4.12.3"},
	{"from google.cloud import storage", "google-cloud-storage==2.19.0"},
	{"from PIL import Image", "Pillow==11.0.0"},
	{"from sklearn.linear_model import LinearRegression", "scikit-learn==1.6.0"},
	{"from dotenv import load_dotenv", "python-dotenv==1.0.1"},
	{"import psycopg2", "psycopg2-binary==2.9.10"},
	{"import tenacity", "tenacity==9.0.0"},
	{"import structlog", "structlog==24.4.0"},
}

var synthStdlib = []string{
	"import csv", "import itertools", "import sys", "import uuid", "from collections import defaultdict, Counter",
	"from functools import lru_cache, partial", "from concurrent.futures import ThreadPoolExecutor",
	"import textwrap", "import shutil", "import tempfile",
}

func synthRequirements() []byte {
	var b strings.Builder
	b.WriteString("# Requirements of the synthetic benchmark repository (written by synth_test.go).\n")
	b.WriteString("prefect>=3.0,<4\n")
	for _, t := range synthThirdParty {
		b.WriteString(t.req + "\n")
	}
	return []byte(b.String())
}

// synthGitignore is a typical Python .gitignore; none of its patterns
// matches a generated file, but every path is checked against it.
const synthGitignore = `# Byte-compiled / optimized files
__pycache__/
*.py[cod]
*$py.class

# Environments
.env
.venv/
venv/
env/

# Distribution / packaging
build/
dist/
*.egg-info/
.eggs/

# Tools
.mypy_cache/
.pytest_cache/
.ruff_cache/
.coverage
htmlcov/

# Local data and scratch
/data/
*.log
*.sqlite3
notebooks/scratch_*.py
`

var (
	synthNouns = []string{"orders", "invoices", "customers", "payments", "shipments", "inventory", "tickets",
		"accounts", "refunds", "vendors", "contracts", "sessions", "metrics", "events", "documents", "claims"}
	synthVerbs = []string{"ingest", "sync", "load", "refresh", "export", "reconcile", "backfill", "archive",
		"score", "publish"}
	synthWords = []string{"batch", "nightly", "warehouse", "upstream", "retry", "window", "partition",
		"snapshot", "checkpoint", "schema", "ledger", "queue", "bucket", "report", "audit", "cache",
		"deadline", "owner", "team", "service", "pipeline", "workflow", "dataset", "record", "timestamp"}
)

// synthGen writes one file.
type synthGen struct {
	r    *rand.Rand
	b    bytes.Buffer
	i    int
	noun string
	fns  int    // helper functions written, for unique names
	step string // how a flow calls its sibling module's step, "" without one
}

func (g *synthGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func synthTitle(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// sentence returns a sentence of n random words, mentioning the workflow.
func (g *synthGen) sentence(n int) string {
	ws := make([]string, n)
	for k := range ws {
		ws[k] = g.pick(synthWords)
	}
	ws[g.r.IntN(n)] = "workflow"
	return synthTitle(strings.Join(ws, " ")) + "."
}

func (g *synthGen) paragraph(indent string, sentences int) string {
	var lines []string
	line := indent
	for range sentences {
		s := g.sentence(5 + g.r.IntN(6))
		if len(line)+len(s)+1 > 88 && line != indent {
			lines = append(lines, strings.TrimRight(line, " "))
			line = indent
		}
		line += s + " "
	}
	lines = append(lines, strings.TrimRight(line, " "))
	return strings.Join(lines, "\n")
}

// expand replaces the {placeholders} of a code template.
func (g *synthGen) expand(tmpl string) string {
	n := fmt.Sprintf("%d_%d", g.i, g.fns)
	g.fns++
	return strings.NewReplacer(
		"{noun}", g.noun, "{Noun}", synthTitle(g.noun), "{NOUN}", strings.ToUpper(g.noun), "{id}", n, "{i}", fmt.Sprintf("%05d", g.i),
		"{word}", g.pick(synthWords), "{num}", fmt.Sprint(10+g.r.IntN(990)),
		"{para}", g.paragraph("    ", 1+g.r.IntN(2)),
	).Replace(tmpl)
}

// synthHelpers are module-level helpers, picked at random until the file
// reaches its size.
var synthHelpers = []string{`

def normalize_{noun}_{id}(rows: Iterable[dict[str, Any]], *, strict: bool = False) -> list[dict[str, Any]]:
    """Normalize raw {noun} rows before the workflow loads them.

{para}
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        # Keys arrive in mixed case from the {word} source; the workflow wants snake_case.
        clean = {re.sub(r"(?<!^)(?=[A-Z])", "_", str(k)).lower(): v for k, v in row.items()}
        if strict and "id" not in clean:
            raise ValueError(f"row without id: {clean!r}")
        out.append(clean)
    return out
`, `

def chunked_{id}(items: list[Any], size: int = {num}) -> Iterator[list[Any]]:
    """Yield successive chunks of at most size items."""
    if size <= 0:
        raise ValueError("size must be positive")
    for start in range(0, len(items), size):
        yield items[start : start + size]
`, `

def checksum_{id}(payload: dict[str, Any]) -> str:
    """Return a stable checksum of a payload, used to skip unchanged {noun}."""
    blob = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]
`, `

async def fetch_{noun}_page_{id}(client: Any, page: int, *, per_page: int = {num}) -> list[dict[str, Any]]:
    """Fetch one page of {noun}; the workflow gathers pages concurrently."""
    await asyncio.sleep(0)
    # TODO({word}): honour the Retry-After header once the upstream sends it.
    return [{"id": page * per_page + n, "page": page} for n in range(per_page)]
`, `

def load_settings_{id}(path: Optional[str] = None) -> dict[str, Any]:
    """Read the {noun} settings of this workflow from a JSON file or the environment.

{para}
    """
    settings: dict[str, Any] = {"batch_size": DEFAULT_BATCH_SIZE, "table": SOURCE_TABLE}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            settings.update(json.load(fh))
    settings["dry_run"] = os.environ.get("{NOUN}_DRY_RUN", "0") == "1"
    return settings
`, `

@dataclass
class {Noun}Stats{id}:
    """Counters kept while the workflow runs."""

    seen: int = 0
    written: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def merge(self, other: "{Noun}Stats{id}") -> "{Noun}Stats{id}":
        """Add another batch's counters to these."""
        return {Noun}Stats{id}(
            seen=self.seen + other.seen,
            written=self.written + other.written,
            skipped=self.skipped + other.skipped,
            errors=[*self.errors, *other.errors],
        )

    @property
    def ok(self) -> bool:
        return not self.errors
`, `

def partition_key_{id}(when: datetime, *, hours: int = 24) -> str:
    """Return the partition a timestamp belongs to ({word} windows of hours)."""
    start = when.replace(minute=0, second=0, microsecond=0)
    start -= timedelta(hours=start.hour % hours)
    return start.strftime("%Y%m%dT%H")
`, `

def retry_{id}(fn: Callable[..., Any], attempts: int = 3, delay: float = 0.5) -> Callable[..., Any]:
    """Wrap fn so transient failures of the {word} service are retried."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                return fn(*args, **kwargs)
            except (OSError, TimeoutError) as exc:  # the workflow retries only I/O errors
                logger.warning("attempt %d/%d failed: %s", attempt, attempts, exc)
                if attempt == attempts:
                    raise
                time.sleep(delay * attempt)
        return None

    return wrapper
`, `

class {Noun}Cache{id}:
    """A small in-memory cache of {noun}, keyed by id.

{para}
    """

    def __init__(self, capacity: int = {num}) -> None:
        self.capacity = capacity
        self._data: dict[int, dict[str, Any]] = {}

    def get(self, key: int) -> Optional[dict[str, Any]]:
        return self._data.get(key)

    def put(self, key: int, value: dict[str, Any]) -> None:
        if len(self._data) >= self.capacity:
            # Evict the oldest entry; dicts keep insertion order.
            self._data.pop(next(iter(self._data)))
        self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)
`, `

def render_report_{id}(stats: dict[str, int], title: str = "{Noun} report") -> str:
    """Render a plain-text summary for the workflow's notification."""
    width = max((len(k) for k in stats), default=0)
    lines = [title, "=" * len(title)]
    for key, value in sorted(stats.items()):
        lines.append(f"{key:<{width}}  {value:>8,}")
    return "\n".join(lines) + "\n"
`}

// synthFlowForm is one way of importing and applying Prefect's flow decorator.
type synthFlowForm struct {
	imports string
	task    string // the task decorator in this form
	deco    func(g *synthGen, name string) string
	prefect bool // Prefect's own discovery recognises it
}

func synthCallArgs(g *synthGen, name string) string {
	extra := []string{`log_prints=True`, `retries=2`, `retry_delay_seconds=30`, `timeout_seconds=3600`,
		`description="Keeps ` + g.noun + ` in sync."`, `version="1.` + fmt.Sprint(g.r.IntN(20)) + `"`}
	args := []string{`name="` + name + `"`}
	for _, k := range g.r.Perm(len(extra))[:g.r.IntN(3)] {
		args = append(args, extra[k])
	}
	return strings.Join(args, ", ")
}

var synthForms = []synthFlowForm{
	{"from prefect import flow, task", "@task", func(*synthGen, string) string { return "@flow" }, true},
	{"from prefect import flow, get_run_logger, task", "@task(retries=1)",
		func(g *synthGen, n string) string { return "@flow(" + synthCallArgs(g, n) + ")" }, true},
	{"import prefect", "@prefect.task", func(*synthGen, string) string { return "@prefect.flow" }, true},
	{"import prefect", "@prefect.task(cache_policy=None)",
		func(g *synthGen, n string) string { return "@prefect.flow(" + synthCallArgs(g, n) + ")" }, true},
	{"from prefect import flow as f, task", "@task", func(*synthGen, string) string { return "@f" }, false},
	{"from prefect import flow as prefect_flow\nfrom prefect import task as prefect_task", "@prefect_task",
		func(g *synthGen, n string) string { return "@prefect_flow(" + synthCallArgs(g, n) + ")" }, false},
	{"import prefect as pf", "@pf.task",
		func(g *synthGen, n string) string { return "@pf.flow(" + synthCallArgs(g, n) + ")" }, false},
	{"from prefect.flows import flow\nfrom prefect.tasks import task", "@task",
		func(*synthGen, string) string { return "@flow" }, true},
}

// synthImportOrder puts "import x" before "from x import y", as isort does.
func synthImportOrder(a, b string) int {
	return cmp.Or(-cmp.Compare(a[0], b[0]), strings.Compare(a, b))
}

// synthFile generates file i of a repository of files files. size is the
// target size in bytes, 0 for a random one between 2 and 6 KB.
func synthFile(i, files, flowEvery, size int) synthOut {
	g := &synthGen{r: rand.New(rand.NewPCG(synthSeed, uint64(i))), i: i}
	g.noun = g.pick(synthNouns)
	if size == 0 {
		size = 2048 + g.r.IntN(4096)
	}
	isFlow := i%flowEvery == 0
	isTask := !isFlow && flowEvery >= 4 && i%flowEvery == flowEvery/2
	var form synthFlowForm
	if isFlow {
		form = synthForms[(i/flowEvery)%len(synthForms)]
	}
	out := synthOut{rel: synthPath(i), task: isTask}
	b := &g.b

	// Module docstring and header comment.
	what := "helpers"
	switch {
	case isFlow:
		what = "flows"
	case isTask:
		what = "tasks"
	}
	fmt.Fprintf(b, "\"\"\"%s %s for the %s workflow.\n\n%s\n\"\"\"\n", synthTitle(g.noun), what, g.pick(synthWords), g.paragraph("", 2+g.r.IntN(3)))
	fmt.Fprintf(b, "# %s: part of the synthetic benchmark repository; keep it importable without side effects.\n\n", out.rel)
	b.WriteString("from __future__ import annotations\n\n")

	// Imports: a fixed core, some stdlib, some third-party.
	std := []string{"import asyncio", "import hashlib", "import json", "import logging", "import os", "import re",
		"import time", "from dataclasses import dataclass, field",
		"from datetime import datetime, timedelta, timezone", "from pathlib import Path",
		"from typing import Any, Callable, Iterable, Iterator, Optional"}
	for _, k := range g.r.Perm(len(synthStdlib))[:2+g.r.IntN(4)] {
		std = append(std, synthStdlib[k])
	}
	slices.SortFunc(std, synthImportOrder)
	for _, s := range std {
		b.WriteString(s + "\n")
	}
	b.WriteString("\n")
	var third []string
	for _, k := range g.r.Perm(len(synthThirdParty))[:1+g.r.IntN(3)] {
		third = append(third, synthThirdParty[k].stmt)
	}
	if isFlow {
		third = append(third, strings.Split(form.imports, "\n")...)
	}
	if isTask {
		third = append(third, "from prefect import get_run_logger, task")
	}
	slices.SortFunc(third, synthImportOrder)
	for _, s := range third {
		b.WriteString(s + "\n")
	}
	// A flow file imports a sibling module of its folder, relatively.
	sib := -1
	if isFlow {
		for _, j := range []int{i + 1, i - 1} {
			if j >= 0 && j < files && j/synthPerFolder == i/synthPerFolder {
				sib = j
				break
			}
		}
		if sib >= 0 {
			if g.r.IntN(2) == 0 {
				fmt.Fprintf(b, "\nfrom .mod%05d import run_step_%05d\n", sib, sib)
				g.step = fmt.Sprintf("run_step_%05d", sib)
			} else {
				fmt.Fprintf(b, "\nfrom . import mod%05d as support\n", sib)
				g.step = fmt.Sprintf("support.run_step_%05d", sib)
			}
		}
	}
	fmt.Fprintf(b, "\nlogger = logging.getLogger(__name__)\n\nDEFAULT_BATCH_SIZE = %d\nSOURCE_TABLE = \"%s_%05d\"\nRETRY_DELAYS = (1, 5, 30)\n",
		100*(1+g.r.IntN(20)), g.noun, i)

	// The module's public entry point, imported by sibling flow files.
	fmt.Fprintf(b, `

def run_step_%05d(payload: dict[str, Any]) -> dict[str, Any]:
    """Run this module's step of the %s workflow on one payload.

%s
    """
    started = datetime.now(timezone.utc)
    result = dict(payload)
    result["step"] = "%s_%05d"
    result["elapsed"] = (datetime.now(timezone.utc) - started).total_seconds()
    logger.info("step %%s done in %%.3fs", result["step"], result["elapsed"])
    return result
`, i, g.noun, g.paragraph("    ", 1+g.r.IntN(2)), g.noun, i)

	var tail bytes.Buffer
	if isFlow {
		out.flows = 1 + g.r.IntN(2)
		if form.prefect {
			out.prefectFlows = out.flows
		}
		g.flowSection(&tail, form, out.flows)
	}
	if isTask {
		g.taskSection(&tail)
	}
	// Helpers until the file reaches its size.
	for b.Len()+tail.Len() < size {
		b.WriteString(g.expand(synthHelpers[g.r.IntN(len(synthHelpers))]))
	}
	b.Write(tail.Bytes())
	out.src = bytes.Clone(b.Bytes())
	return out
}

func (g *synthGen) taskSection(b *bytes.Buffer) {
	for k := range 2 {
		fmt.Fprintf(b, `

@task(retries=2, retry_delay_seconds=10)
def %s_%s_task_%05d_%d(rows: list[dict[str, Any]], batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """A task used by the flows of this workflow.

%s
    """
    log = get_run_logger()
    written = 0
    for start in range(0, len(rows), batch_size):
        written += len(rows[start : start + batch_size])
    log.info("wrote %%d %s", written)
    return written
`, g.pick(synthVerbs), g.noun, g.i, k, g.paragraph("    ", 1), g.noun)
	}
}

// flowSection writes the tasks, n flows, a hook and a __main__ block.
func (g *synthGen) flowSection(b *bytes.Buffer, form synthFlowForm, n int) {
	fmt.Fprintf(b, `

%s
def extract_%s_%05d(since: str, limit: int = DEFAULT_BATCH_SIZE) -> list[dict[str, Any]]:
    """Extract the %s changed since a date (a task of the workflow)."""
    # Only code counts; this comment is no flow: @flow(name="not-a-flow")
    start = datetime.fromisoformat(since)
    return [{"id": n, "at": (start + timedelta(minutes=n)).isoformat()} for n in range(limit)]
`, form.task, g.noun, g.i, g.noun)
	var first string
	var firstAsync bool
	for k := 1; k <= n; k++ {
		verb := g.pick(synthVerbs)
		fn := fmt.Sprintf("%s_%s_%05d_%d", verb, g.noun, g.i, k)
		name := fmt.Sprintf("%s-%s-%05d-%d", g.noun, verb, g.i, k) // word order differs from fn's: never collides
		async := g.r.IntN(4) == 0
		if k == 1 {
			first, firstAsync = fn, async
		}
		def, pre := "def", ""
		if async {
			def, pre = "async def", "    await asyncio.sleep(0)\n"
		}
		step := "    result = {\"rows\": len(rows)}\n"
		if g.step != "" {
			step = "    result = " + g.step + "({\"rows\": len(rows)})\n"
		}
		fmt.Fprintf(b, `

%s
%s %s(
    since: str = "2024-01-01",
    batch_size: int = %d,
    dry_run: bool = False,
    targets: Optional[list[str]] = None,
    *,
    notify: str = "%s-team@example.com",
) -> dict[str, Any]:
    """%s the %s of the workflow.

%s

    Args:
        since: ISO date of the oldest change to pick up.
        batch_size: rows per batch.
        dry_run: compute everything but write nothing.
        targets: restrict the run to these targets.
        notify: who hears about failures.
    """
%s    rows = extract_%s_%05d(since, limit=batch_size)
    if dry_run:
        logger.info("dry run: %%d rows, nothing written", len(rows))
        return {"rows": len(rows), "dry_run": True}
%s    result["targets"] = targets or []
    return result
`, form.deco(g, name), def, fn, 100*(1+g.r.IntN(10)), g.noun, synthTitle(verb), g.noun, g.paragraph("    ", 1+g.r.IntN(2)),
			pre, g.noun, g.i, step)
	}
	if !firstAsync && g.r.IntN(2) == 0 {
		// A state hook: decorated, but not a flow.
		fmt.Fprintf(b, `

@%s.on_failure
def alert_%05d(flow: Any, flow_run: Any, state: Any) -> None:
    """Tell the owners that the workflow failed."""
    logger.error("flow run %%s failed: %%s", flow_run, state)
`, first, g.i)
	}
	call := first + "()"
	if firstAsync {
		call = "asyncio.run(" + call + ")"
	}
	fmt.Fprintf(b, "\n\nif __name__ == \"__main__\":\n    %s\n", call)
}

// TestSynthRepo discovers a small synthetic repository: every flow found,
// nothing reported, every file seen, only candidate files parsed.
func TestSynthRepo(t *testing.T) {
	const files, every = 200, 10
	dir := t.TempDir()
	st := writeSynthRepo(t, dir, files, every)
	if st.FlowFiles != files/every || st.Flows < st.FlowFiles || st.Flows > 2*st.FlowFiles {
		t.Fatalf("generator: %+v", st)
	}
	res := mustDiscover(t, dir)
	if got := len(res.Flows); got != st.Flows {
		t.Errorf("found %d flows, the repository defines %d", got, st.Flows)
	}
	for _, p := range res.Validation.All() {
		t.Errorf("unexpected problem: %v", p)
	}
	if res.Stats.FilesSeen != files {
		t.Errorf("FilesSeen = %d, want %d", res.Stats.FilesSeen, files)
	}
	// Flow files must be parsed; task modules may be (they import prefect);
	// plain modules never are.
	if p := res.Stats.FilesParsed; p < st.FlowFiles || p > st.FlowFiles+st.TaskFiles {
		t.Errorf("FilesParsed = %d, want %d flow files and at most the %d task modules", p, st.FlowFiles, st.TaskFiles)
	}
	names := map[string]bool{}
	for _, f := range res.Flows {
		if !f.Deployable || !f.IsValid || names[f.Name] {
			t.Errorf("flow %s (%s): deployable=%v valid=%v duplicate=%v %v", f.Name, f.Entrypoint, f.Deployable, f.IsValid, names[f.Name], f.ValidationErrors)
		}
		names[f.Name] = true
		if len(f.Parameters) != 5 || len(f.RequirementsFiles) != 1 || len(f.Imports) == 0 {
			t.Errorf("flow %s: parameters %d, requirements %v, imports %v", f.Name, len(f.Parameters), f.RequirementsFiles, f.Imports)
		}
	}
}

// TestSynthDeterministic checks that a synthetic repository is a pure
// function of its arguments and has the promised shape.
func TestSynthDeterministic(t *testing.T) {
	forms := map[int]bool{}
	for i := range 400 {
		a, b := synthFile(i, 400, 10, 0), synthFile(i, 400, 10, 0)
		if a.rel != b.rel || !bytes.Equal(a.src, b.src) {
			t.Fatalf("file %d differs between two generations", i)
		}
		if n := len(a.src); n < 2048 || n > 8*1024 {
			t.Errorf("%s: %d bytes, want about 2-6 KB", a.rel, n)
		}
		if (a.flows > 0) != (i%10 == 0) {
			t.Errorf("%s: %d flows", a.rel, a.flows)
		}
		if a.flows > 0 {
			forms[(i/10)%len(synthForms)] = true
		}
		if !a.task && mayDefineFlow(a.src) != (a.flows > 0) {
			t.Errorf("%s: pre-filter says %v, but the file defines %d flows", a.rel, mayDefineFlow(a.src), a.flows)
		}
	}
	if len(forms) != len(synthForms) {
		t.Errorf("only %d of %d decorator forms used", len(forms), len(synthForms))
	}
}

// TestWriteSynth writes a synthetic repository for scripts when
// -synth.write is set; otherwise it does nothing:
//
//	go test ./generator/discover -run TestWriteSynth -synth.write /tmp/x -synth.files 10000 -synth.every 20
//
// Add -v to see its one-line summary (files, flows, flows Prefect's own
// discovery can see, MB).
func TestWriteSynth(t *testing.T) {
	if *synthWriteDir == "" {
		t.Skip("-synth.write not set")
	}
	if !filepath.IsAbs(*synthWriteDir) {
		t.Fatalf("-synth.write %s: give an absolute path (go test runs in the package folder)", *synthWriteDir)
	}
	st := writeSynthRepo(t, *synthWriteDir, *synthFiles, *synthEvery)
	fmt.Printf("synth: wrote %s: %d files (%d flow files, %d task modules), %d flows (%d visible to Prefect's own discovery), %.1f MB\n",
		*synthWriteDir, st.Files, st.FlowFiles, st.TaskFiles, st.Flows, st.PrefectFlows, float64(st.Bytes)/1e6)
}
