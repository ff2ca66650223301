"""The course's speed figures, measured in one run: ``make bench``.

Prints a Markdown table (paste it into BENCHMARKS.md, or pass ``--write``):

- Grad-CAM against a plain forward pass and against pytorch-grad-cam (the
  ``grad-cam`` package, a benchmark-only extra) on a torchvision ResNet-18
  with random weights, batch 16 at 224x224, and on the course's GapCNN;
- CAM's cost over a forward pass;
- generating 10,000 scenes;
- MaxBoxAccV2 on 1,000 maps (see ``bench_localization.py``);
- one widget update (see ``bench_widgets.py``).

Every time is the median of interleaved repeats, so that a burst of load
from another process on the shared machine hits all methods alike; ratios
compare times from the same run. Targets: Grad-CAM at most 1.3x a forward
pass and at least 2.5x faster than pytorch-grad-cam.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from course_utils.cam import class_activation_map, grad_cam, to_image  # noqa: E402
from course_utils.models import GapCNN  # noqa: E402


WIDGET_SCENES = 4  # what a notebook shows under one slider


def interleaved_medians(work: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each callable, running them in turn ``repeats`` times."""
    for fn in work.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(repeats):
        for name, fn in work.items():
            start = time.perf_counter()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def explanation_costs(model: nn.Module, layer: nn.Module, images: torch.Tensor, repeats: int, cam_kwargs: dict) -> dict[str, float]:
    """Seconds per batch: forward pass, CAM, Grad-CAM (raw and upsampled), pytorch-grad-cam."""
    from pytorch_grad_cam import GradCAM

    model.eval()
    reference = GradCAM(model=model, target_layers=[layer])
    size = images.shape[-2:]

    def forward() -> None:
        with torch.no_grad():
            model(images)

    work = {
        "forward pass": forward,
        "CAM": lambda: class_activation_map(model, images, **cam_kwargs),
        "Grad-CAM (course_utils)": lambda: grad_cam(model, layer, images),
        "Grad-CAM + normalise + upsample": lambda: to_image(grad_cam(model, layer, images), tuple(size)),
        "pytorch-grad-cam GradCAM": lambda: reference(input_tensor=images, targets=None),
    }
    return interleaved_medians(work, repeats)


def table(title: str, seconds: dict[str, float]) -> list[str]:
    base = seconds["forward pass"]
    rows = [f"### {title}", "", "| method | ms per batch | x forward pass |", "|---|---:|---:|"]
    rows += [f"| {name} | {1000 * s:.1f} | {s / base:.2f} |" for name, s in seconds.items()]
    ours = seconds["Grad-CAM + normalise + upsample"]
    theirs = seconds["pytorch-grad-cam GradCAM"]
    raw = seconds["Grad-CAM (course_utils)"]
    rows += [
        "",
        f"- Grad-CAM / forward pass: **{raw / base:.2f}x** (target <= 1.3x: {'met' if raw / base <= 1.3 else 'MISSED'})",
        f"- pytorch-grad-cam / Grad-CAM with the same output (normalised, upsampled): **{theirs / ours:.2f}x** "
        f"(target >= 2.5x: {'met' if theirs / ours >= 2.5 else 'MISSED'}); against raw Grad-CAM: {theirs / raw:.2f}x",
        f"- CAM / forward pass: **{seconds['CAM'] / base:.2f}x**",
        "",
    ]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure the course's speed targets.")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    from torchvision.models import resnet18

    from benchmarks.bench_localization import time_max_box_acc
    from benchmarks.bench_widgets import time_widget_updates

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    lines = [
        "## Measured figures",
        "",
        f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads; "
        f"medians of {args.repeats} interleaved repeats.",
        "",
    ]
    resnet = resnet18(weights=None).to(device)
    images = torch.rand(16, 3, 224, 224, device=device)
    lines += table(
        "ResNet-18 (random weights), batch 16 at 224x224, layer4",
        explanation_costs(resnet, resnet.layer4[-1], images, args.repeats, {"feature_layer": resnet.layer4, "fc": resnet.fc}),
    )
    course = GapCNN().to(device)
    images = torch.rand(64, 3, 64, 64, device=device)
    lines += table(
        "Course GapCNN, batch 64 at 64x64, last feature layer",
        explanation_costs(course, course.features, images, args.repeats, {}),
    )
    from course_utils.scenes import make_scenes

    scene_seconds = interleaved_medians({"scenes": lambda: make_scenes(10_000, seed=1)}, repeats=3, warmup=1)["scenes"]
    seconds = time_max_box_acc()
    lines += [
        "### Data, localization and widgets",
        "",
        f"- 10,000 scenes generated: **{scene_seconds:.2f} s** (median of 3; target < 2 s: "
        f"{'met' if scene_seconds < 2 else 'MISSED'})",
        f"- MaxBoxAccV2, 1,000 maps of 64x64, 100 thresholds, 3 IoU levels: **{seconds:.2f} s** "
        f"(best of 3; target <= 5 s: {'met' if seconds <= 5 else 'MISSED'})",
    ]
    widget_ms = time_widget_updates(n_scenes=WIDGET_SCENES)
    for name in ("threshold", "class", "layer", "acol"):
        ms, drawn = widget_ms[name], widget_ms[name + " + draw"]
        lines.append(
            f"- widget update, {name} explorer, {WIDGET_SCENES} test scenes: **{ms:.1f} ms** "
            f"(target <= 50 ms: {'met' if ms <= 50 else 'MISSED'}); with the figure redrawn: {drawn:.0f} ms "
            f"({'met' if drawn <= 50 else 'over 50 ms'})"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
