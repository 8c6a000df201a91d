#!/usr/bin/env python3
"""Summarise a corpus run: run.sh calls it as  summarize.py OUT [CHECKOUTS].

Reads OUT/repos.tsv and, per repository, OUT/<owner+name>/discover.json, validate.json
and (when run.sh --truth made it) truth.json; writes

  OUT/summary.md        the tables below, for people
  OUT/summary.tsv       one line per repository (flows, comparison, problems by severity)
  OUT/problems.tsv      repo, code, severity, count
  OUT/comparison.tsv    one line per flow difference: repo, kind (wrong_name, missed,
                        not_deployable, extra), entrypoint, line, prefectgen name, Prefect name,
                        tier, note

Comparison with Prefect's truth (prefect_truth.py), by entrypoint (path:function or
path:Class.method):
  matched         the flow is in both; "name right" when prefectgen's name is Prefect's
  missed          Prefect has a module-level flow that prefectgen does not report at all
  not_deployable  prefectgen reports it, but as not deployable (nested), while Prefect
                  can load it at module level
  in_tests        the same, for a flow in a test file or folder, which prefectgen keeps
                  out of deployments on purpose (not_deployable_reason "test")
  extra           prefectgen reports a deployable flow that Prefect does not find at
                  module level (or reports one entrypoint twice)
  unresolved      prefect_truth.py could not evaluate something that may make a flow
                  (a factory call, flow(fn), a wrapper decorator) without the repository's
                  dependencies: check by hand
Truth flows of tier placeholder_args (low confidence: Prefect could not load them
without their dependencies) are compared like the others and marked in comparison.tsv.
Missed flows in files that .gitignore ignores are marked "gitignored" (prefectgen
honours .gitignore on purpose).
Only the standard library is used.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def problems_of(v):
    if not v:
        return []
    return list(v.get("errors") or []) + list(v.get("warnings") or [])


def gitignored(checkout, paths):
    if not checkout or not paths or not os.path.isdir(checkout):
        return set()
    try:
        r = subprocess.run(["git", "-C", checkout, "check-ignore", "--no-index", "--stdin"],
                           input="\n".join(paths), capture_output=True, text=True, check=False)
    except OSError:
        return set()
    return set(r.stdout.split())


def compare(disc, truth, checkout):
    pg, pg_dups = {}, []
    for f in (disc or {}).get("flows", []):
        if f["entrypoint"] in pg:
            pg_dups.append(f)  # the same entrypoint twice: a redefinition, or nested defs
        else:
            pg[f["entrypoint"]] = f
    rows = []
    stats = collections.Counter()
    tr = {f["entrypoint"]: f for f in truth.get("flows", [])}
    missed_paths = [t["path"] for ep, t in tr.items() if ep not in pg]
    ignored = gitignored(checkout, missed_paths)
    for ep, t in tr.items():
        stats["truth"] += 1
        p = pg.get(ep)
        note = t.get("note", "")
        if p is None:
            stats["missed"] += 1
            rows.append(("missed", ep, t["line"], "", t["name"], t["tier"],
                         ("gitignored; " if t["path"] in ignored else "") + f"kind={t['kind']} " + note))
            continue
        stats["matched"] += 1
        if not p.get("deployable", True) and p.get("not_deployable_reason") == "test":
            stats["in_tests"] += 1
            rows.append(("in_tests", ep, t["line"], p["name"], t["name"], t["tier"], note))
        elif not p.get("deployable", True) and t["kind"] != "method":
            stats["not_deployable"] += 1
            rows.append(("not_deployable", ep, t["line"], p["name"], t["name"], t["tier"], note))
        if p["name"] == t["name"]:
            stats["name_right"] += 1
        else:
            stats["wrong_name"] += 1
            rows.append(("wrong_name", ep, t["line"], p["name"], t["name"], t["tier"], note))
    for p in pg_dups:
        if p.get("deployable", True) and pg[p["entrypoint"]].get("deployable", True):
            stats["extra"] += 1
            rows.append(("extra", p["entrypoint"], p.get("line", 0), p["name"], "", "",
                         "same entrypoint reported twice (a def redefined in the same file: Prefect keeps the last)"))
    for u in truth.get("unresolved", []):
        stats["unresolved"] += 1
        ep = f"{u['path']}:{u['target']}"
        p = pg.get(ep)
        rows.append(("unresolved", ep, u["line"], p["name"] if p else "", "?", "", f"{u['code']}: {u['why']}"))
    for ep, p in pg.items():
        if ep in tr:
            continue
        if p.get("deployable", True):
            stats["extra"] += 1
            rows.append(("extra", ep, p.get("line", 0), p["name"], "", "", ""))
        else:
            stats["nested_only_prefectgen"] += 1
    return stats, rows


def main() -> int:
    out = sys.argv[1]
    checkouts = sys.argv[2] if len(sys.argv) > 2 else ""
    repos = []
    with open(os.path.join(out, "repos.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 6:
                repos.append(parts)

    summary_rows, problem_rows, comp_rows = [], [], []
    code_tot = collections.Counter()
    sev_of = {}
    code_repos = collections.defaultdict(set)
    tot = collections.Counter()
    have_truth = False
    for name, slug, head, own_config, own_prefect_yaml, ms in repos:
        d = load(os.path.join(out, slug, "discover.json"))
        v = load(os.path.join(out, slug, "validate.json"))
        t = load(os.path.join(out, slug, "truth.json"))
        flows = (d or {}).get("flows", [])
        st = (d or {}).get("stats", {})
        probs = problems_of(v)
        sev = collections.Counter(p["severity"] for p in probs)
        for (code, s), n in collections.Counter((p["code"], p["severity"]) for p in probs).items():
            problem_rows.append((name, code, s, n))
            code_tot[code] += n
            sev_of[code] = s
            code_repos[code].add(name)
        row = {
            "repo": name, "commit": head[:12], "files_seen": st.get("files_seen", 0),
            "files_parsed": st.get("files_parsed", 0), "flows": len(flows),
            "deployable": sum(1 for f in flows if f.get("deployable", True)),
            "errors": sev.get("error", 0), "warnings": sev.get("warning", 0), "notes": sev.get("note", 0),
            "validate_rc": open(os.path.join(out, slug, "validate.rc")).read().strip()
            if os.path.exists(os.path.join(out, slug, "validate.rc")) else "",
            "own_config": own_config or "-",
            "prefect_yaml": (f"{len(own_prefect_yaml.split(';'))}"
                             + (" (root)" if {"prefect.yaml", "prefect.yml"} & set(own_prefect_yaml.split(";")) else ""))
            if own_prefect_yaml else "0",
            "ms": ms,
        }
        if t is not None:
            have_truth = True
            cs, rows = compare(d, t, os.path.join(checkouts, slug) if checkouts else "")
            for k in ("truth", "matched", "name_right", "wrong_name", "missed", "not_deployable", "in_tests", "extra",
                      "unresolved"):
                row[k] = cs.get(k, 0)
            row["truth_low_conf"] = sum(1 for f in t["flows"] if f.get("confidence") == "low")
            for r in rows:
                comp_rows.append((name,) + r)
        for k in ("files_seen", "files_parsed", "flows", "deployable", "errors", "warnings", "notes",
                  "truth", "matched", "name_right", "wrong_name", "missed", "not_deployable", "in_tests", "extra",
                  "unresolved", "truth_low_conf"):
            if isinstance(row.get(k), int):
                tot[k] += row[k]
        summary_rows.append(row)

    cols = ["repo", "commit", "files_seen", "files_parsed", "flows", "deployable"]
    if have_truth:
        cols += ["truth", "truth_low_conf", "matched", "name_right", "wrong_name", "missed", "not_deployable", "in_tests",
                 "extra", "unresolved"]
    cols += ["errors", "warnings", "notes", "validate_rc", "own_config", "prefect_yaml", "ms"]
    with open(os.path.join(out, "summary.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(cols) + "\n")
        for r in summary_rows:
            f.write("\t".join(str(r.get(c, "")) for c in cols) + "\n")
    with open(os.path.join(out, "problems.tsv"), "w", encoding="utf-8") as f:
        f.write("repo\tcode\tseverity\tcount\n")
        for r in sorted(problem_rows):
            f.write("\t".join(map(str, r)) + "\n")
    with open(os.path.join(out, "comparison.tsv"), "w", encoding="utf-8") as f:
        f.write("repo\tkind\tentrypoint\tline\tprefectgen_name\tprefect_name\ttier\tnote\n")
        for r in comp_rows:
            f.write("\t".join(str(x).replace("\t", " ").replace("\n", " ") for x in r) + "\n")

    md = ["# prefectgen corpus run", ""]
    ver = ""
    try:
        ver = open(os.path.join(out, "prefectgen-version.txt")).read().strip()
    except OSError:
        pass
    md += [f"prefectgen: `{ver}`", "", "## Per repository", ""]
    md.append("| " + " | ".join(cols) + " |")
    md.append("|" + "---|" * len(cols))
    for r in summary_rows:
        md.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    md.append("| **total** | | " + " | ".join(str(tot.get(c, "")) for c in cols[2:]) + " |")
    if have_truth and tot["matched"]:
        md += ["", f"Names right: {tot['name_right']}/{tot['matched']} matched flows "
               f"({100 * tot['name_right'] / tot['matched']:.1f}%); found {tot['matched']}/{tot['truth']} "
               f"of Prefect's module-level flows; {tot['extra']} extra, {tot['not_deployable']} "
               f"reported as not deployable, {tot['in_tests']} in tests (not deployable on purpose)."]
    md += ["", "## Problems per code", "", "| code | severity | count | repositories |", "|---|---|---|---|"]
    for code, n in sorted(code_tot.items(), key=lambda kv: (-kv[1], kv[0])):
        md.append(f"| {code} | {sev_of[code]} | {n} | {len(code_repos[code])} |")
    if comp_rows:
        md += ["", "## Differences from Prefect", "", "| repo | kind | entrypoint | prefectgen | Prefect | tier | note |",
               "|---|---|---|---|---|---|---|"]
        for r in comp_rows:
            name, kind, ep, line, pn, tn, tier, note = r
            md.append(f"| {name} | {kind} | `{ep}` | {pn} | {tn} | {tier} | {note[:120]} |")
    with open(os.path.join(out, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
