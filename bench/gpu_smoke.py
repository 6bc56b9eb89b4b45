"""GPU smoke test for the diffusion backend: builds the tiny pipelines the tests use, runs each
on CUDA (or whatever device is there), and, given model folders, real ones; prints seconds per
denoising step and peak GPU memory. Meant to finish within five minutes on one accelerator.

    bash bench/gpu_smoke.sh [--t2i DIR] [--t2v DIR] [--i2v DIR] [--steps N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tests.tiny_models import tiny_animatediff, tiny_ltx, tiny_sd, tiny_wan  # noqa: E402
from tools import diffusion  # noqa: E402


def run(kind: str, model: str, steps: int, size: tuple[int, int], frames: int) -> None:
    from PIL import Image

    diffusion.load.cache_clear()
    diffusion.load_image_to_video.cache_clear()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    diffusion.load_image_to_video(model) if kind == "i2v" else diffusion.load(model)
    loaded = time.perf_counter()
    marks: list[float] = []
    out, notes = diffusion.generate(
        kind,
        model,
        "a flock of birds over the sea at sunset",
        diffusion.NEGATIVE,
        size,
        1,
        steps,
        frames,
        image=Image.new("RGB", size, (200, 120, 60)) if kind == "i2v" else None,
        on_step=lambda i, n: marks.append(time.perf_counter()),
    )
    done = time.perf_counter()
    per_step = (done - loaded) / max(1, len(marks))
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else 0.0
    print(
        f"{kind:4} {Path(model).name:24} load {loaded - t0:6.2f}s  {per_step:7.3f} s/step  "
        f"{len(out)} frame(s) {out[0].size}  peak GPU {peak:5.2f} GiB  {' '.join(notes)}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--t2i", help="a real text-to-image model folder")
    parser.add_argument("--t2v", help="a real text-to-video model folder")
    parser.add_argument("--i2v", help="a real image-to-video model folder")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    where, dtype = diffusion.device()
    print(f"device {where} {dtype}; torch {torch.__version__}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sd = tiny_sd(root)
        run("t2i", str(sd), 4, (64, 64), 1)
        run("t2v", str(tiny_animatediff(root, sd)), 4, (64, 64), 8)
        run("t2v", str(tiny_wan(root)), 4, (32, 32), 9)
        ltx = str(tiny_ltx(root))
        run("t2v", ltx, 4, (64, 32), 9)
        run("i2v", ltx, 4, (64, 32), 9)
    if args.t2i:
        run("t2i", args.t2i, args.steps, (768, 432), 1)
    if args.t2v:
        run("t2v", args.t2v, args.steps, (832, 480), 33)
    if args.i2v:
        run("i2v", args.i2v, args.steps, (768, 512), 25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
