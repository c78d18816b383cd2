"""Build the packaged application with PyInstaller: ``python build/build.py [--onefile]``.

Output: ``build/dist/backprop-lab/`` (one folder, run ``backprop-lab`` inside it) or
``build/dist/backprop-lab`` as a single file. ``--smoke`` then runs the built executable's
smoke test (headless), as CI does. Prints the size of what was built.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIST, WORK = HERE / "dist", HERE / "work"


def folder_size(path: Path) -> int:
    """Bytes on disk in a file or a folder tree (symbolic links counted once, as links)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_symlink() or p.is_file())


def build(onefile: bool) -> Path:
    """Run PyInstaller on the spec; returns the executable's path."""
    env = dict(os.environ, BACKPROP_LAB_ONEFILE="1" if onefile else "0")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
               "--distpath", str(DIST), "--workpath", str(WORK),
               str(HERE / "backprop-lab.spec")]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    print(f"built in {time.perf_counter() - started:.0f} s")
    exe_name = "backprop-lab.exe" if sys.platform == "win32" else "backprop-lab"
    return DIST / exe_name if onefile else DIST / "backprop-lab" / exe_name


def smoke(executable: Path) -> int:
    """Run the built app's ``--version`` and ``--smoke``; returns the exit code."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    version = subprocess.run([str(executable), "--version"], env=env, capture_output=True,
                             text=True, timeout=60)
    print(version.stdout.strip() or version.stderr.strip())
    if version.returncode != 0:
        return version.returncode
    report = WORK / "smoke-report.json"
    shot = WORK / "smoke.png"
    result = subprocess.run([str(executable), "--smoke", "--epochs", "5", "--report",
                             str(report), "--screenshot", str(shot)], env=env, timeout=300)
    if result.returncode == 0:
        print(report.read_text(encoding="utf-8"))
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--onefile", action="store_true", help="one executable file")
    parser.add_argument("--smoke", action="store_true", help="run the smoke test afterwards")
    args = parser.parse_args()
    executable = build(args.onefile)
    target = executable if args.onefile else executable.parent
    print(f"{target}: {folder_size(target) / 1e6:.0f} MB")
    return smoke(executable) if args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
