"""``nncore animate PROJECT.bplab -o spirals.gif [--fps 10] [--size 400]``.

Draws the decision map (or fit curve) at every snapshot the project keeps
(``nncore.animate``) and writes them as an animated GIF, one frame per snapshot.
Registered in ``nncore.cli``; errors are one line and exit code 2 there.
"""

from __future__ import annotations

import argparse


def add_animate_flags(p: argparse.ArgumentParser) -> None:
    """The subcommand's arguments."""
    p.add_argument("project", help="a trained .bplab project (its kept snapshots are drawn)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.gif",
                   help="the animated GIF to write")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second (10)")
    p.add_argument("--size", type=int, default=400, help="width and height in pixels (400)")
    p.add_argument("-q", "--quiet", action="store_true")


def cmd_animate(args: argparse.Namespace) -> int:
    """Write the project's training as an animated GIF."""
    from nncore.animate import animation_frames, write_gif
    from nncore.project import load_project

    if not str(args.output).lower().endswith(".gif"):
        raise ValueError(f"{args.output}: only animated GIFs can be written; name the file "
                         "*.gif")
    if not 0.1 <= args.fps <= 60:
        raise ValueError(f"--fps must be between 0.1 and 60, got {args.fps:g}")
    project = load_project(args.project)
    frames = animation_frames(project, size=args.size)
    path = write_gif(frames, args.output, args.fps)
    if not args.quiet:
        epochs = project.snapshots.epochs
        print(f"wrote {path}: {len(frames)} frames (epochs {epochs[0]} to {epochs[-1]}), "
              f"{args.size} x {args.size} pixels, {args.fps:g} frames per second")
    return 0
