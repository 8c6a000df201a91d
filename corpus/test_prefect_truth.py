#!/usr/bin/env python3
"""Self-test of prefect_truth.py on a small synthetic repository holding every flow
shape the corpus may not: call-form flows, .with_options, factories, names from module
constants and f-strings, aliases, async flows, methods, flows under __main__ and nested
flows, a flow whose decorator needs a missing package.

    $(scripts/prefect-venv.sh)/bin/python corpus/test_prefect_truth.py [--prefectgen BIN]

Prints one line per expectation and 'N passed, N failed'; exits 1 on a failure. With
--prefectgen it also prints what that binary's discover says for each entrypoint
(informative only: the point is to check the truth, not prefectgen).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

FILES = {
    "flows/shapes.py": '''
        import prefect
        from prefect import flow
        from prefect import flow as pflow
        import prefect as pf

        PREFIX = "etl"
        NAME = "from-constant"

        @flow
        def plain_flow():
            pass

        @flow(name="literal name")
        def literal():
            pass

        @flow(name=NAME)
        def constant():
            pass

        @prefect.flow(name=NAME + "-2")
        def dotted_constant():
            pass

        @flow(name=f"placeholder-free")
        def fstring_plain():
            pass

        @flow(name=f"{PREFIX}-daily")
        def fstring_constant():
            pass

        @pflow
        def aliased_flow():
            pass

        @pf.flow(name="pf alias")
        def module_alias():
            pass

        @flow
        async def async_flow():
            pass

        def plain_function(x: int = 1):
            return x

        call_form = flow(plain_function, name="called")
        call_form_default = flow(plain_function)
        renamed = plain_flow.with_options(name="renamed-copy")
        same_object = plain_flow

        def make_flow(suffix):
            @flow(name=f"made-{suffix}")
            def inner():
                pass
            return inner

        made_a = make_flow("a")

        class Jobs:
            @flow
            def instance_method(self):
                pass

            @staticmethod
            @flow(name="static-one")
            def static_method():
                pass

        def outer():
            @flow
            def nested_never_deployed():
                pass
            return nested_never_deployed

        if __name__ == "__main__":
            @flow
            def only_when_run_as_script():
                pass
    ''',
    "flows/needs_missing_dep.py": '''
        from prefect import flow
        from prefect_dask import DaskTaskRunner

        @flow(name="dask-flow", task_runner=DaskTaskRunner())
        def dask_flow():
            pass
    ''',
    "flows/factory_missing.py": '''
        from some_missing_factory_package import dbt_flow

        my_dbt_flow = dbt_flow(project="x")
    ''',
}

EXPECT = {  # entrypoint -> (name, tier or None for any)
    "flows/shapes.py:plain_flow": ("plain-flow", "namespace"),
    "flows/shapes.py:literal": ("literal name", "namespace"),
    "flows/shapes.py:constant": ("from-constant", "namespace"),
    "flows/shapes.py:dotted_constant": ("from-constant-2", "namespace"),
    "flows/shapes.py:fstring_plain": ("placeholder-free", "namespace"),
    "flows/shapes.py:fstring_constant": ("etl-daily", "namespace"),
    "flows/shapes.py:aliased_flow": ("aliased-flow", "namespace"),
    "flows/shapes.py:module_alias": ("pf alias", "namespace"),
    "flows/shapes.py:async_flow": ("async-flow", "safe_entrypoint"),
    "flows/shapes.py:call_form": ("called", "namespace"),
    "flows/shapes.py:call_form_default": ("plain-function", "namespace"),
    "flows/shapes.py:renamed": ("renamed-copy", "namespace"),
    "flows/shapes.py:made_a": ("made-a", "namespace"),
    "flows/shapes.py:Jobs.instance_method": ("instance-method", "namespace"),
    "flows/shapes.py:Jobs.static_method": ("static-one", "namespace"),
    "flows/needs_missing_dep.py:dask_flow": ("dask-flow", "placeholder_args"),
}
ABSENT = [
    "flows/shapes.py:same_object",             # the same Flow object as plain_flow
    "flows/shapes.py:nested_never_deployed",   # inside a function
    "flows/shapes.py:outer.nested_never_deployed",
    "flows/shapes.py:only_when_run_as_script", # under __main__
    "flows/shapes.py:plain_function",          # not a flow itself
]
UNRESOLVED = ["flows/factory_missing.py:my_dbt_flow"]


def main() -> int:
    prefectgen = None
    if "--prefectgen" in sys.argv:
        prefectgen = sys.argv[sys.argv.index("--prefectgen") + 1]
    with tempfile.TemporaryDirectory(prefix="truth-selftest-") as repo:
        for rel, text in FILES.items():
            path = os.path.join(repo, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(text).lstrip())
        out = subprocess.run([sys.executable, os.path.join(HERE, "prefect_truth.py"), repo],
                             capture_output=True, text=True, check=True).stdout
        truth = json.loads(out)
        pg = {}
        if prefectgen:
            d = json.loads(subprocess.run([prefectgen, "discover", "--json", repo],
                                          capture_output=True, text=True, check=False).stdout)
            pg = {f["entrypoint"]: f for f in d.get("flows", [])}

    got = {f["entrypoint"]: f for f in truth["flows"]}
    unresolved = {f"{u['path']}:{u['target']}" for u in truth.get("unresolved", [])}
    passed = failed = 0

    def check(ok, msg):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(("ok   " if ok else "FAIL ") + msg)

    for ep, (name, tier) in EXPECT.items():
        f = got.get(ep)
        check(f is not None and f["name"] == name and (tier is None or f["tier"] == tier),
              f"{ep}: want {name!r} ({tier}), got "
              + (f"{f['name']!r} ({f['tier']})" if f else "nothing")
              + (f"; prefectgen: {pg[ep]['name']!r}" if ep in pg else ("; prefectgen: -" if prefectgen else "")))
    for ep in ABSENT:
        check(ep not in got, f"{ep}: not a module-level flow"
              + (f"; prefectgen: {pg[ep]['name']!r} deployable={pg[ep]['deployable']}" if ep in pg else ""))
    for ep in UNRESOLVED:
        check(ep in unresolved, f"{ep}: listed as unresolved")
    extra = set(got) - set(EXPECT)
    check(not extra, f"no unexpected flows ({sorted(extra)})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
