#!/usr/bin/env python3
"""Collects the licence texts of every Rust crate compiled into the gonio binary.

Usage: scripts/crate-licenses.py DEST

The crates are those `cargo tree -e normal` lists for Linux x86_64 (build tools and test-only
crates are not in the binary). Each crate's LICENSE/COPYING/NOTICE files are copied into
DEST/<name>-<version>/, and DEST/README.md lists every crate with its licence expression. For
a crate that ships no licence file, the standard text of its declared licence is written
(Apache-2.0 from gonio's own LICENSE; MIT with the crate's declared authors as the copyright
holders) and the table says so.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

LICENCE_PREFIXES = ("license", "licence", "copying", "notice", "unlicense")

MIT_TEXT = """MIT License

Copyright (c) {holders}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def standard_texts(package, root, out):
    """Writes the standard text of each licence the crate declares; returns their names."""
    expression = package.get("license") or ""
    written = []
    if "Apache-2.0" in expression:
        os.makedirs(out, exist_ok=True)
        shutil.copyfile(root / "LICENSE", out / "LICENSE-APACHE")
        written.append("Apache-2.0")
    if "MIT" in expression:
        os.makedirs(out, exist_ok=True)
        holders = ", ".join(a.split(" <")[0] for a in package.get("authors") or []) or \
            f"the {package['name']} authors"
        (out / "LICENSE-MIT").write_text(MIT_TEXT.format(holders=holders), encoding="utf-8")
        written.append("MIT")
    return written


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
        shipped = "yes"
        if not texts:
            standard = standard_texts(package, root, out)
            shipped = ("standard " + " and ".join(standard) + " text (the crate ships none)"
                       if standard else "no (the crate ships none)")
        rows.append((package["name"], package["version"], package.get("license") or "see files",
                     shipped))
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
