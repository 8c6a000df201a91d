#!/usr/bin/env python3
"""Regenerate the dependency data of prefectgen's discovery from real package metadata.

    $(scripts/prefect-venv.sh)/bin/python generator/discover/depdata/generate.py [--cache DIR]

Run it with the python of the pinned Prefect virtualenv (scripts/prefect-venv.sh builds it
from scripts/requirements-prefect.txt). It writes, beside itself:

prefect-closure.txt
    The distributions the pinned prefect release installs: prefect's Requires-Dist, followed
    through the installed distributions' metadata, with every environment marker evaluated
    for the virtualenv's interpreter (Python 3.11 on Linux, as Prefect's images). prefectgen
    counts them as provided to every flow, since every deployment runs with prefect.
extras.txt
    distribution, extra, and the distributions the extra adds (from Requires-Dist with
    extra == "..."), for every distribution read here: prefect[aws] brings prefect-aws.
requires.txt
    distribution, and the distributions it requires unconditionally (Requires-Dist whose
    environment marker holds for the virtualenv's interpreter, Python 3.11 on Linux, with no
    extra selected; a requirement's own extras kept, as in dask[distributed]), for every
    distribution read here: pandas requires numpy. prefectgen counts what a declared
    distribution requires, followed through this file, as installed with it. The chain stops
    at a distribution not read here (neither in the virtualenv nor in distributions.txt).
import-map.txt
    import name, and the distributions that install it, from the RECORD of each
    distribution of the virtualenv and of each one listed in distributions.txt (downloaded
    with pip, without its dependencies: a wheel for Linux, else for Windows or macOS, else
    the source archive). Keys are the top-level module, and below a namespace package
    (a folder without __init__.py, such as google/ or google/cloud/) the first regular
    package: google.cloud.storage.

Nothing here is written by hand: edit distributions.txt and run the script again.
"""

from __future__ import annotations

import argparse
import collections
import email.parser
import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PLATFORMS = [  # tried in order for binary-only downloads
    ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"],
    ["win_amd64"],
    ["macosx_11_0_arm64", "macosx_10_9_x86_64"],
]
# folders some distributions ship at the top level that nobody imports
NOT_MODULES = {"test", "tests", "demos", "examples", "docs", "doc", "benchmarks", "scripts"}
MODULE_SUFFIX = re.compile(r"(\.cpython-[^.]*|\.abi3|\.cp\d+-[^.]*)?\.(py|so|pyd)$")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_prefect() -> str:
    with open(os.path.join(REPO, "scripts", "requirements-prefect.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if norm(line.split("==")[0]) == "prefect":
                return line.split("==")[1]
    sys.exit("generate.py: scripts/requirements-prefect.txt pins no prefect")


def installed() -> dict[str, metadata.Distribution]:
    return {norm(d.metadata["Name"]): d for d in metadata.distributions()}


def closure(root: str, dists: dict[str, metadata.Distribution]) -> list[str]:
    env = default_environment()
    env["extra"] = ""
    seen, queue = {root}, [root]
    while queue:
        d = dists[queue.pop()]
        for r in d.requires or []:
            req = Requirement(r)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            n = norm(req.name)
            if n in seen:
                continue
            if n not in dists:
                sys.exit(f"generate.py: {d.metadata['Name']} requires {r}, which the virtualenv does not have")
            seen.add(n)
            queue.append(n)
    return sorted(seen)


def extras_of(name: str, requires: list[str]) -> list[tuple[str, str, str]]:
    out = set()
    for r in requires:
        req = Requirement(r)
        if req.marker is None:
            continue
        for extra in re.findall(r'extra\s*==\s*["\']([^"\']+)["\']', str(req.marker)):
            out.add((name, norm(extra), norm(req.name)))
    return sorted(out)


def requires_line(name: str, requires: list[str]) -> str | None:
    """A requires.txt line: the distribution, then what it requires unconditionally for the
    virtualenv's interpreter (no extra selected), with the requirement's extras."""
    env = default_environment()
    env["extra"] = ""
    out = set()
    for r in requires:
        req = Requirement(r)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        n = norm(req.name)
        if req.extras:
            n += "[" + ",".join(sorted(norm(e) for e in req.extras)) + "]"
        out.add(n)
    out.discard(norm(name))
    if not out:
        return None
    return f"{norm(name)}\t{' '.join(sorted(out))}"


def keys_from_files(files: list[str], path_dirs: list[str] = ()) -> set[str]:
    """Import keys from the files a distribution installs (paths with /); path_dirs are the
    folders its .pth files put on sys.path (pywin32's win32/), whose modules are top-level."""
    mods = set()
    inits = set()
    for f in files:
        if ".dist-info/" in f or ".egg-info/" in f or ".data/" in f or f.startswith("..") or f.startswith("/"):
            continue
        for d in sorted(path_dirs, key=len, reverse=True):
            if f.startswith(d + "/"):
                f = f[len(d) + 1:]
                break
        parts = f.split("/")
        if parts[0].lower() in NOT_MODULES:
            continue
        if not MODULE_SUFFIX.search(parts[-1]):
            continue
        mod = MODULE_SUFFIX.sub("", parts[-1])
        pkg = parts[:-1]
        if any(not p.isidentifier() for p in pkg) or not mod.isidentifier() or (mod == "__init__" and not pkg):
            continue
        if mod == "__init__":
            inits.add(".".join(pkg))
            mods.add(".".join(pkg))
        else:
            mods.add(".".join(pkg + [mod]))
    keys = set()
    for m in mods:
        parts = m.split(".")
        # the first component that is a module or a regular package (not a
        # namespace folder): its path is the key
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in inits or i == len(parts) or i == 3:
                keys.add(prefix)
                break
    return keys


def pth_dirs(pths: list[str]) -> list[str]:
    """The folders .pth files (their text) add to sys.path."""
    out = []
    for text in pths:
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "import ", "import\t")):
                out.append(line.strip("/").replace("\\", "/"))
    return out


def read_archive(path: str) -> tuple[list[str], list[str], str, list[str]]:
    """Files, Requires-Dist, name and sys.path folders of a downloaded wheel or source archive."""
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
            msg = email.parser.BytesParser().parsebytes(z.read(meta))
            pths = [z.read(n).decode(errors="replace") for n in names if n.endswith(".pth") and "/" not in n]
            return names, msg.get_all("Requires-Dist") or [], msg["Name"], pth_dirs(pths)
    # a source archive: the packages at its top level or under src/, or its egg-info's top_level.txt
    if path.endswith(".zip"):
        z = zipfile.ZipFile(path)
        names, read = z.namelist(), z.read
    else:
        t = tarfile.open(path)
        members = [m for m in t.getmembers() if m.isfile()]
        names = [m.name for m in members]

        def read(n, _t=t):
            return _t.extractfile(n).read()
    top = names[0].split("/")[0] + "/"
    rel = [n[len(top):] for n in names if n.startswith(top)]
    tl = [n for n in names if n.endswith(".egg-info/top_level.txt") and n.count("/") <= 3]
    name, requires = os.path.basename(path).rsplit("-", 1)[0], []
    pkginfo = [n for n in names if n.endswith("PKG-INFO")]
    if pkginfo:
        msg = email.parser.BytesParser().parsebytes(read(min(pkginfo, key=len)))
        name = msg["Name"] or name
        requires = msg.get_all("Requires-Dist") or []
    if tl:
        mods = [m.strip() for m in read(tl[0]).decode().split() if m.strip()]
        return [m.replace(".", "/") + "/__init__.py" for m in mods], requires, name, []
    files = []
    for n in rel:
        for base in ("src/", "lib/", ""):
            if n.startswith(base):
                sub = n[len(base):]
                if sub.count("/") >= 1 or (sub.endswith(".py") and sub not in ("setup.py", "conftest.py")):
                    if not sub.split("/")[0] in ("tests", "test", "docs", "doc", "examples", "build", "scripts"):
                        files.append(sub)
                break
    return files, requires, name, []


def download(dist: str, cache: str) -> str | None:
    d = os.path.join(cache, norm(dist))
    found = glob.glob(os.path.join(d, "*"))
    if found:
        return found[0]
    os.makedirs(d, exist_ok=True)
    base = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", d, "--python-version", "3.11"]
    for plats in PLATFORMS:
        cmd = base + ["--only-binary=:all:"] + [a for p in plats for a in ("--platform", p)] + [dist]
        if subprocess.run(cmd, capture_output=True).returncode == 0:
            return glob.glob(os.path.join(d, "*"))[0]
    if subprocess.run(base + ["--no-binary=:all:", dist], capture_output=True).returncode == 0:
        return glob.glob(os.path.join(d, "*"))[0]
    return None


def write(name: str, header: list[str], lines: list[str]) -> None:
    with open(os.path.join(HERE, name), "w") as f:
        for h in header:
            f.write(f"# {h}\n" if h else "#\n")
        for line in lines:
            f.write(line + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="keep the downloads here (default: a temporary folder)")
    args = ap.parse_args()
    version = pinned_prefect()
    dists = installed()
    if "prefect" not in dists or dists["prefect"].version != version:
        sys.exit(f"generate.py: run it with the python of the virtualenv of scripts/prefect-venv.sh (prefect=={version})")
    env = default_environment()
    where = f"prefect=={version} on Python {env['python_full_version']} ({env['sys_platform']})"
    gen = "Code generated by generator/discover/depdata/generate.py; DO NOT EDIT."

    write("prefect-closure.txt", [gen, f"The distributions {where} installs: one a line."], closure("prefect", dists))

    keys: dict[str, set[str]] = collections.defaultdict(set)
    extras: set[tuple[str, str, str]] = set()
    requires: dict[str, str] = {}
    for n, d in sorted(dists.items()):
        if n in ("pip", "setuptools", "wheel"):
            continue  # the virtualenv's own tools; setuptools comes from distributions.txt
        files = [str(f).replace(os.sep, "/") for f in d.files or []]
        pths = [f.read_text() or "" for f in d.files or [] if str(f).endswith(".pth") and "/" not in str(f)]
        for k in keys_from_files(files, pth_dirs(pths)):
            keys[k].add(d.metadata["Name"])
        extras.update(extras_of(n, d.requires or []))
        if line := requires_line(n, d.requires or []):
            requires[n] = line

    with open(os.path.join(HERE, "distributions.txt")) as f:
        wanted = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    failed = []
    metas = []
    cache = args.cache or tempfile.mkdtemp(prefix="prefectgen-depdata-")
    for dist in wanted:
        path = download(dist, cache)
        if path is None:
            failed.append(dist)
            print(f"generate.py: {dist}: no wheel or source archive", file=sys.stderr)
            continue
        files, reqs, name, dirs = read_archive(path)
        n = norm(name or dist)
        got = keys_from_files(files, dirs)
        if not got:  # a metapackage (python-levenshtein): it installs what it requires
            metas.append((name or dist, [norm(Requirement(r).name) for r in reqs if Requirement(r).marker is None]))
        for k in got:
            keys[k].add(name or dist)
        extras.update(extras_of(n, reqs))
        if n not in requires and (line := requires_line(n, reqs)):
            requires[n] = line
        print(f"generate.py: {dist}: {', '.join(sorted(got))}", file=sys.stderr)

    for name, reqs in metas:
        added = [k for k, v in keys.items() if any(norm(x) in reqs for x in v)]
        for k in added:
            keys[k].add(name)
        if not added:
            failed.append(name)
        print(f"generate.py: {name}: installs what {', '.join(reqs)} install: {', '.join(sorted(added))}", file=sys.stderr)
    header = [gen, f"Import name, then the distributions that install it, from the RECORD of the distributions of",
              f"{where} and of those listed in distributions.txt."]
    if failed:
        header.append("Not read (no archive, or no module in it): " + ", ".join(failed))
    # Only what the name alone would not tell: a top-level import whose only distribution is named
    # like it adds nothing (a key with a dot does: its first part is a namespace package).
    lines = [f"{k}\t{' '.join(sorted(v, key=norm))}" for k, v in sorted(keys.items())
             if "." in k or [norm(x) for x in v] != [norm(k)]]
    write("import-map.txt", header, lines)
    write("extras.txt", [gen, "Distribution, extra, and a distribution the extra adds (Requires-Dist with extra == ...)."],
          [f"{a}\t{b}\t{c}" for a, b, c in sorted(extras)])
    write("requires.txt", [gen, f"Distribution, then the distributions it requires unconditionally on {where}",
                           "(Requires-Dist whose marker holds with no extra selected; name[extras] keeps the requirement's extras)."],
          [requires[n] for n in sorted(requires)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
