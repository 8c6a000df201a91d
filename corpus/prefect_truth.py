#!/usr/bin/env python3
"""Ground truth for flow discovery: the module-level flows of a repository and the
names Prefect itself gives them, computed with Prefect's own loading code.

    $(scripts/prefect-venv.sh)/bin/python corpus/prefect_truth.py REPO [REPO...] [--out DIR]

Run it with the pinned Prefect venv's python (scripts/prefect-venv.sh prints its path);
it re-executes itself there when the running interpreter cannot import prefect.

Method (why this one)
---------------------
`prefect deploy` resolves an entrypoint with prefect.flows.load_flow_from_entrypoint:
it first imports the whole file, and when that fails because a dependency is missing
(ScriptError) it falls back to safe_load_flow_from_entrypoint, which builds the module
namespace with prefect.utilities.importtools.safe_load_namespace (imports that resolve,
then every top-level class, def and assignment compiled and executed one by one, the
`if __name__ == "__main__":` block dropped) and, for a def that did not make it into
that namespace (async defs, or annotations/defaults naming a missing package),
re-compiles it with the unloadable annotations and defaults removed
(_sanitize_and_load_flow). That is the path Prefect takes when the repository's own
dependencies are not installed, and the Flow objects it yields are made by Prefect's
Flow constructor, so their `.name` is Prefect's (name=, else the function name with
"_" turned into "-"), with module constants, f-strings, flow(fn, name=...) calls,
.with_options(name=...) and factories evaluated as Prefect evaluates them.

Per Python file (each in a forked child, so modules never leak between files):

1. tier "namespace": safe_load_namespace(source, filepath); every Flow object bound
   by a top-level def/class/assignment of the file (not by an import: re-exported
   flows belong to the file that defines them), first binding wins, plus Flow
   attributes of top-level classes (entrypoint File.py:Class.method).
2. tier "safe_entrypoint": for every decorated def or method that is at module level
   (also inside a module-level if/try/with, never in a function or the __main__
   block) and was not found in 1, safe_load_flow_from_entrypoint("path:qualname").
3. tier "placeholder_args": a decorated def whose decorator is recognisably Prefect's
   flow (flow / prefect.flow / an alias of it) but that neither 1 nor 2 could load
   (typically its decorator arguments need a missing package, e.g.
   task_runner=DaskTaskRunner()). Its name is what load_flow_arguments_from_entrypoint
   returns, the function Prefect's load_placeholder_flow uses; confidence "low",
   because that function only reads `@flow(...)` decorators spelled `flow`.
   `prefect deploy` itself would fail on such a flow without its dependencies.

Not found by this method (documented limits): flows made by statements other than
def/class/assignment at the top level (e.g. inside a module-level `if`/`for` via an
assignment, or an annotated assignment `x: Flow = flow(f)`), and assignments that use
an async flow or a name from a module that cannot be imported without the repo's
dependencies. These are rare; run with --import to also try the full import (tier
"import", Prefect's first choice), which executes the repository's module-level
code: only do that in a sandbox without network.

The repository is copied to a temporary folder first (without .git) and loaded
there, because loading runs its module-level imports and assignments, which may
write files (one corpus repository writes logs/*.log at import); --in-place skips
the copy.

Files: every *.py under REPO except in .git, node_modules, __pycache__,
site-packages, .tox, build, dist, caches and virtualenvs (a folder with pyvenv.cfg),
the folders prefectgen also skips; .gitignore is NOT applied (it is reported by the
comparison instead). Files whose text does not contain "flow" (any case) are counted
but not loaded.

Output: one JSON object per repository, on stdout, or REPO-NAME.truth.json in --out:
  {"repo", "prefect_version", "method", "files_scanned", "files_loaded",
   "flows": [{"path", "qualname", "entrypoint", "name", "function_name",
              "line", "async", "kind", "tier", "confidence", "note"}],
   "unresolved": [{"path", "target", "line", "code", "why"}],
   "file_errors": [{"path", "error"}], "slow_files": [{"path", "seconds"}]}
"unresolved" lists what may be a flow but could not be evaluated without the
repository's dependencies: module-level assignments calling something named *flow*
whose callee is named flow, *_flow or flow_* (a factory such as dbt_flow(...), flow(fn)) or
with_options, and decorated defs whose decorator is so named but not recognisably
Prefect's (a wrapper such as @timed_flow); check them by hand.
kind: "function" (a def or a Flow bound by assignment), "staticmethod",
"classmethod", "method" (instance method).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import signal
import sys
import tempfile
import time

SKIP_DIRS = {
    ".git", ".hg", ".svn", "node_modules", "__pycache__", "site-packages", ".tox",
    "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".nox", ".eggs",
}


def _ensure_prefect() -> None:
    import importlib.util

    if importlib.util.find_spec("prefect") is None:
        here = os.path.dirname(os.path.abspath(__file__))
        venv = os.environ.get("PREFECT_VENV", os.path.join(here, "..", ".cache", "prefect-venv"))
        py = os.path.join(venv, "bin", "python")
        if os.environ.get("_PREFECT_TRUTH_REEXEC") or not os.path.exists(py):
            sys.exit("prefect_truth: cannot import prefect; run it with the venv of scripts/prefect-venv.sh")
        os.environ["_PREFECT_TRUTH_REEXEC"] = "1"
        os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


def walk_py(root: str):
    for dirpath, dirnames, filenames in os.walk(root):
        keep = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS or d.endswith(".egg-info"):
                continue
            full = os.path.join(dirpath, d)
            if os.path.islink(full) or os.path.exists(os.path.join(full, "pyvenv.cfg")):
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if f.endswith(".py"):
                full = os.path.join(dirpath, f)
                if os.path.isfile(full) and not os.path.islink(full):
                    yield os.path.relpath(full, root).replace(os.sep, "/")


# ---------------------------------------------------------------- AST helpers

def _is_main_block(node: ast.AST) -> bool:
    from prefect.utilities.importtools import _is_main_block as prefect_is_main
    return prefect_is_main(node)


def _bound_names(node: ast.AST) -> list[str]:
    out: list[str] = []

    def target(t):
        if isinstance(t, ast.Name):
            out.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                target(e)
        elif isinstance(t, ast.Starred):
            target(t.value)

    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append(node.name)
    elif isinstance(node, ast.Assign):
        for t in node.targets:
            target(t)
    return out


def _import_names(tree: ast.Module) -> dict[str, str]:
    """Top-level import bindings: local name -> dotted source ("prefect.flow")."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    out[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            mod = ("." * node.level) + (node.module or "")
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{mod}.{a.name}"
    return out


def _module_level_defs(tree: ast.Module):
    """Decorated defs and methods that exist after importing the module:
    top level, or inside module-level if/try/with/for/while (never the __main__
    block, never inside a function). Yields (qualname, node, class_node|None)."""

    def visit(stmts, in_class=None):
        for node in stmts:
            if _is_main_block(node):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.decorator_list:
                    q = f"{in_class.name}.{node.name}" if in_class else node.name
                    yield q, node, in_class
            elif isinstance(node, ast.ClassDef):
                if in_class is None:
                    yield from visit(node.body, node)
            elif isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
                yield from visit(node.body, in_class)
                yield from visit(getattr(node, "orelse", []), in_class)
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                yield from visit(node.body, in_class)
                for h in node.handlers:
                    yield from visit(h.body, in_class)
                yield from visit(node.orelse, in_class)
                yield from visit(node.finalbody, in_class)

    yield from visit(tree.body)


def _makes_flow_name(func: ast.expr) -> bool:
    """A callee that may make a flow: flow, *_flow (a factory or wrapper), with_options."""
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    last = last.lower()
    if last == "build_from_flow":  # Prefect 2's Deployment.build_from_flow makes a deployment
        return False
    return last == "with_options" or last == "flow" or last.endswith("_flow") or last.startswith("flow_")


def _decorator_is_prefect_flow(dec: ast.expr, imports: dict[str, str]) -> bool:
    d = dec.func if isinstance(dec, ast.Call) else dec
    if isinstance(d, ast.Name):
        src = imports.get(d.id, "")
        return d.id == "flow" or src in ("prefect.flow", "prefect.flows.flow")
    if isinstance(d, ast.Attribute) and d.attr == "flow" and isinstance(d.value, ast.Name):
        return imports.get(d.value.id, "") == "prefect" or d.value.id == "prefect"
    return False


# ---------------------------------------------------------------- per file

def analyse_file(root: str, rel: str, try_import: bool) -> dict:
    from prefect.flows import (
        Flow,
        load_flow_arguments_from_entrypoint,
        safe_load_flow_from_entrypoint,
    )
    from prefect.utilities.importtools import safe_load_namespace

    os.chdir(root)
    source = open(rel, encoding="utf-8").read()  # as Path.read_text() in a UTF-8 locale
    res: dict = {"path": rel, "flows": [], "loaded": False}
    if "flow" not in source.lower():
        return res
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        res["error"] = f"SyntaxError: {e.msg} (line {e.lineno})"
        return res
    res["loaded"] = True
    imports = _import_names(tree)
    flows: list[dict] = []
    seen_ids: set[int] = set()
    seen_q: set[str] = set()

    def add(obj, qual, line, tier, kind="function", confidence="high", note=""):
        seen_ids.add(id(obj))
        seen_q.add(qual)
        fn = getattr(obj, "fn", None)
        flows.append({
            "path": rel, "qualname": qual, "entrypoint": f"{rel}:{qual}",
            "name": obj.name, "function_name": getattr(fn, "__name__", ""),
            "line": line, "async": bool(getattr(obj, "isasync", False)),
            "kind": kind, "tier": tier, "confidence": confidence, "note": note,
        })

    def flow_attr_kind(cls_dict_value):
        v = cls_dict_value
        if isinstance(v, staticmethod):
            return v.__func__, "staticmethod"
        if isinstance(v, classmethod):
            return v.__func__, "classmethod"
        if isinstance(v, Flow):
            if getattr(v, "isstaticmethod", False):
                return v, "staticmethod"
            if getattr(v, "isclassmethod", False):
                return v, "classmethod"
            return v, "method"
        return None, ""

    # Optional tier 0: the full import Prefect tries first.
    if try_import:
        try:
            from prefect.utilities.importtools import load_script_as_module
            mod = load_script_as_module(rel)
            ns_full = vars(mod)
            imported_ids = {id(ns_full[n]) for n in imports if n in ns_full}
            for node in tree.body:
                for n in _bound_names(node):
                    obj = ns_full.get(n)
                    if isinstance(obj, Flow) and id(obj) not in seen_ids and id(obj) not in imported_ids:
                        add(obj, n, node.lineno, "import")
                    elif isinstance(obj, type):
                        for attr, v in list(vars(obj).items()):
                            f, kind = flow_attr_kind(v)
                            if isinstance(f, Flow) and id(f) not in seen_ids:
                                add(f, f"{n}.{attr}", node.lineno, "import", kind)
            res["import_ok"] = True
        except BaseException as e:  # ScriptError and anything the module raises
            res["import_ok"] = False
            res["import_error"] = f"{type(e).__name__}: {str(e)[:300]}"

    if not res.get("import_ok"):
        # Tier 1: Prefect's dependency-free namespace.
        try:
            ns = safe_load_namespace(source, filepath=rel)
        except BaseException as e:  # noqa: BLE001  (an import raised something else than ImportError)
            ns = {}
            res["error"] = f"safe_load_namespace: {type(e).__name__}: {str(e)[:300]}"
        local_bound = set()
        for node in tree.body:
            local_bound.update(_bound_names(node))
        imported_ids = {id(ns[n]) for n in imports if n in ns and n not in local_bound}
        for node in tree.body:
            for n in _bound_names(node):
                obj = ns.get(n)
                if isinstance(obj, Flow):
                    if id(obj) in seen_ids or id(obj) in imported_ids:
                        continue
                    add(obj, n, getattr(node, "lineno", 0), "namespace")
                elif isinstance(obj, type) and isinstance(node, ast.ClassDef) and node.name == n:
                    for attr, v in list(vars(obj).items()):
                        f, kind = flow_attr_kind(v)
                        if isinstance(f, Flow) and id(f) not in seen_ids:
                            add(f, f"{n}.{attr}", node.lineno, "namespace", kind)

        # Tier 2 and 3: decorated module-level defs the namespace did not yield.
        for qual, node, cls in _module_level_defs(tree):
            if qual in seen_q:
                continue
            ep = f"{rel}:{qual}"
            kind = "function"
            if cls is not None:
                names = {getattr(d, "id", getattr(d, "attr", "")) for d in node.decorator_list}
                kind = "staticmethod" if "staticmethod" in names else "classmethod" if "classmethod" in names else "method"
            try:
                obj = safe_load_flow_from_entrypoint(ep)
            except BaseException as e:  # noqa: BLE001
                obj = None
                err = f"{type(e).__name__}: {e}"
            else:
                err = ""
            if isinstance(obj, Flow):
                if id(obj) not in seen_ids:
                    add(obj, qual, node.lineno, "safe_entrypoint", kind)
                continue
            if any(_decorator_is_prefect_flow(d, imports) for d in node.decorator_list):
                # Why it did not load: compile the decorated def in Prefect's namespace.
                why = err
                if not why:
                    try:
                        code = compile(ast.Module(body=[node], type_ignores=[]), rel, "exec")
                        exec(code, dict(ns))
                    except BaseException as e:  # noqa: BLE001
                        why = f"{type(e).__name__}: {e}"
                try:
                    args = load_flow_arguments_from_entrypoint(ep, arguments={"name"})
                    name = args.get("name")
                except BaseException as e:  # noqa: BLE001
                    name = None
                    why += f"; load_flow_arguments_from_entrypoint: {type(e).__name__}: {e}"
                if name is not None:
                    flows.append({
                        "path": rel, "qualname": qual, "entrypoint": ep, "name": name,
                        "function_name": node.name, "line": node.lineno,
                        "async": isinstance(node, ast.AsyncFunctionDef), "kind": kind,
                        "tier": "placeholder_args", "confidence": "low",
                        "note": f"not loadable without its dependencies: {why[:300]}",
                    })
                    seen_q.add(qual)
            elif any(_makes_flow_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list):
                res.setdefault("unresolved", []).append({
                    "path": rel, "target": qual, "line": node.lineno,
                    "code": "@" + "/@".join(ast.unparse(d)[:80] for d in node.decorator_list),
                    "why": (err or "decorated def did not load as a Flow")[:200],
                })

        # Module-level assignments that may make a flow (factories, flow(fn), with_options)
        # but could not be executed without the repository's dependencies.
        for node in tree.body:
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
                continue
            callee = ast.unparse(node.value.func)
            if not _makes_flow_name(node.value.func):
                continue
            root = node.value.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and isinstance(ns.get(root.id), Flow) and not callee.endswith("with_options"):
                continue  # calling a flow (a run at import), not making one
            for n in _bound_names(node):
                if n not in ns:
                    res.setdefault("unresolved", []).append({
                        "path": rel, "target": n, "line": node.lineno, "code": f"{n} = {callee}(...)",
                        "why": "assignment not executable without the repository's dependencies",
                    })
    res["flows"] = flows
    return res


def run_in_child(root: str, rel: str, timeout: int, try_import: bool) -> dict:
    t0 = time.monotonic()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.alarm(timeout)
        try:
            sys.path.insert(0, root)  # the working directory, as load_script_as_module adds it
            out = analyse_file(root, rel, try_import)
        except BaseException as e:  # noqa: BLE001
            out = {"path": rel, "flows": [], "loaded": False, "error": f"{type(e).__name__}: {str(e)[:300]}"}
        try:
            data = json.dumps(out, default=str).encode()
        except Exception as e:  # noqa: BLE001
            data = json.dumps({"path": rel, "flows": [], "error": f"unserialisable: {e}"}).encode()
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        why = "timeout" if sig == signal.SIGALRM else f"child died (status {status})"
        return {"path": rel, "flows": [], "loaded": False, "error": why,
                "seconds": round(time.monotonic() - t0, 3)}
    out = json.loads(data)
    out["seconds"] = round(time.monotonic() - t0, 3)
    return out


def truth_for_repo(root: str, timeout: int, try_import: bool, in_place: bool = False) -> dict:
    import prefect
    import shutil

    root = os.path.abspath(root)
    name = os.path.basename(root)
    if not in_place:
        # Loading runs module-level code of the repository (imports, assignments), which
        # may write files (log files, caches): work on a throw-away copy.
        tmp = tempfile.mkdtemp(prefix="prefect-truth-")
        copy = os.path.join(tmp, name)
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        try:
            res = truth_for_repo(copy, timeout, try_import, in_place=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return res
    files = list(walk_py(root))
    flows, errors, slow, unresolved, loaded = [], [], [], [], 0
    for rel in files:
        res = run_in_child(root, rel, timeout, try_import)
        flows.extend(res.get("flows", []))
        unresolved.extend(res.get("unresolved", []))
        loaded += 1 if res.get("loaded") else 0
        if res.get("error"):
            errors.append({"path": rel, "error": res["error"]})
        if res.get("seconds", 0) > 2:
            slow.append({"path": rel, "seconds": res["seconds"]})
        if res.get("import_error") and try_import:
            errors.append({"path": rel, "error": "import: " + res["import_error"]})
    flows.sort(key=lambda f: (f["path"], f["line"], f["qualname"]))
    return {
        "repo": name,
        "prefect_version": prefect.__version__,
        "method": ("full import, then " if try_import else "")
        + "safe_load_namespace + safe_load_flow_from_entrypoint + load_flow_arguments_from_entrypoint",
        "files_scanned": len(files),
        "files_loaded": loaded,
        "flows": flows,
        "unresolved": unresolved,
        "file_errors": errors,
        "slow_files": slow,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repos", nargs="+", help="repository checkouts")
    ap.add_argument("--out", help="write REPO.truth.json files here instead of stdout")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per file (default 60)")
    ap.add_argument("--import", dest="try_import", action="store_true",
                    help="try the full import first (executes repository code)")
    ap.add_argument("--in-place", action="store_true",
                    help="load the files where they are instead of in a temporary copy")
    args = ap.parse_args()
    _ensure_prefect()

    # Keep Prefect away from ~/.prefect and from any server: a flow that a module
    # runs at import fails fast instead of starting an ephemeral server.
    home = tempfile.mkdtemp(prefix="prefect-truth-home-")
    os.environ["PREFECT_HOME"] = home
    os.environ.pop("PREFECT_API_URL", None)
    os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    sys.dont_write_bytecode = True  # no __pycache__ in the repositories
    # The script's own folder must not shadow repository modules.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]

    import prefect  # noqa: F401  (imported once, before forking)
    import prefect.flows  # noqa: F401

    for repo in args.repos:
        result = truth_for_repo(repo, args.timeout, args.try_import, args.in_place)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, result["repo"] + ".truth.json"), "w") as f:
                json.dump(result, f, indent=1)
            print(f"{result['repo']}: {len(result['flows'])} flows in {result['files_scanned']} files", file=sys.stderr)
        else:
            json.dump(result, sys.stdout, indent=1)
            sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
