#!/usr/bin/env python3
"""Collects the licence texts of every Rust crate compiled into the gonio binary.

Usage: scripts/crate-licenses.py DEST

The crates are those `cargo tree -e normal` lists for Linux x86_64 (build tools and test-only
crates are not in the binary). Each crate's LICENSE/COPYING/NOTICE files are copied into
DEST/<name>-<version>/, and DEST/README.md lists every crate with its licence expression. A
crate that ships no licence file is listed with its expression and marked so.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

LICENCE_PREFIXES = ("license", "licence", "copying", "notice", "unlicense")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    dest = pathlib.Path(sys.argv[1])
    root = pathlib.Path(__file__).resolve().parent.parent
    tree = subprocess.run(
        ["cargo", "tree", "-e", "normal", "--prefix", "none", "--format", "{p}",
         "--target", "x86_64-unknown-linux-gnu", "--locked"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    wanted = set()
    for line in tree.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("v"):
            wanted.add((parts[0], parts[1][1:]))
    metadata = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout)
    rows = []
    for package in sorted(metadata["packages"], key=lambda p: (p["name"], p["version"])):
        key = (package["name"], package["version"])
        if key not in wanted or package["source"] is None:
            continue  # not in the binary, or gonio itself
        crate_dir = pathlib.Path(package["manifest_path"]).parent
        texts = sorted(
            f for f in crate_dir.iterdir()
            if f.is_file() and f.name.lower().startswith(LICENCE_PREFIXES)
        )
        if package.get("license_file"):
            extra = crate_dir / package["license_file"]
            if extra.is_file() and extra not in texts:
                texts.append(extra)
        out = dest / f"{package['name']}-{package['version']}"
        if texts:
            os.makedirs(out, exist_ok=True)
            for text in texts:
                shutil.copyfile(text, out / text.name)
        rows.append((package["name"], package["version"], package.get("license") or "see files",
                     "yes" if texts else "no (the crate ships none)"))
    os.makedirs(dest, exist_ok=True)
    with open(dest / "README.md", "w", encoding="utf-8") as readme:
        readme.write("# Rust crates in the gonio binary\n\n")
        readme.write("| crate | version | licence | licence text here |\n|---|---|---|---|\n")
        for row in rows:
            readme.write("| " + " | ".join(row) + " |\n")
    print(f"{len(rows)} crates, licence texts in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
