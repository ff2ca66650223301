"""Time one update of each explorer in course_utils.widgets.

Run ``python benchmarks/bench_widgets.py``. Each explorer is built on the
first 8 scenes of the frozen test split, with the shipped models when
``data/`` has them (else random weights: the timings barely depend on the
weights). The target is at most 50 ms per update: the callback recomputes
from the cache and moves the figure's artists. Rendering the figure
(``fig.canvas.draw()``, what a notebook then turns into a PNG) is timed
separately and reported beside it; it grows with the number of panels, not
with the model.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from course_utils.cam import class_activation_map  # noqa: E402
from course_utils.checkpoints import load_model, load_split  # noqa: E402
from course_utils.models import ACoL, GapCNN  # noqa: E402
from course_utils.widgets import ACoLExplorer, ClassExplorer, LayerChooser, ThresholdExplorer  # noqa: E402

TARGET_MS = 50.0


def shipped_or_random(name: str, fallback: Callable[[], nn.Module]) -> tuple[nn.Module, str]:
    """The shipped model ``name`` if ``data/`` has it, else a seeded random-weight one."""
    try:
        return load_model(name), name
    except (KeyError, FileNotFoundError, RuntimeError):  # not trained yet, or stale (ChecksumError is a RuntimeError)
        torch.manual_seed(0)
        return fallback().eval(), f"random {fallback.__name__}"


def median_ms(repeats: int, work: Callable[[int], object]) -> float:
    """Median of ``repeats`` timed calls ``work(k)``, in milliseconds (robust to a busy machine)."""
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        work(k)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def build_explorers(n_scenes: int = 8) -> dict[str, tuple[object, Callable[[int], object]]]:
    """Each explorer, and a callback call ``k -> update(...)`` that walks through its control values."""
    scenes = load_split("test")[:n_scenes]
    gap, _ = shipped_or_random("gap_cnn", GapCNN)
    acol, _ = shipped_or_random("acol_07", ACoL)
    # The backbone's conv blocks (features[1] and [3] are max-pools): 64x64, 32x32, then 16x16 twice.
    layers = {f"block {k + 1}": gap.features[i] for k, i in enumerate((0, 2, 4, 5))}
    names = list(layers)

    threshold = ThresholdExplorer(scenes, class_activation_map(gap, scenes.images, scenes.labels))
    classes = ClassExplorer.from_model(gap, scenes)
    chooser = LayerChooser.from_model(gap, layers, scenes)
    erase = ACoLExplorer(acol, scenes)
    return {
        "threshold": (threshold, lambda k: threshold.update(0.05 + 0.045 * (k % 20))),
        "class": (classes, lambda k: classes.update(k % 4)),
        "layer": (chooser, lambda k: chooser.update(names[k % 4], (k // 4) % 4)),
        "acol": (erase, lambda k: erase.update(0.05 + 0.05 * (k % 19), k % 4)),
    }


def time_widget_updates(n_scenes: int = 8, repeats: int = 20) -> dict[str, float]:
    """Milliseconds per update: ``{name: callback, name + " + draw": callback and canvas.draw()}``."""
    results = {}
    for name, (explorer, update) in build_explorers(n_scenes).items():
        update(0)  # warm up: first calls pay for lazy imports and caches
        explorer.figure.canvas.draw()
        results[name] = median_ms(repeats, update)

        def update_and_draw(k: int, update=update, explorer=explorer) -> None:
            update(k)
            explorer.figure.canvas.draw()

        results[f"{name} + draw"] = median_ms(repeats, update_and_draw)
    return results


def main() -> None:
    models = [shipped_or_random(name, cls)[1] for name, cls in (("gap_cnn", GapCNN), ("acol_07", ACoL))]
    print(f"torch threads: {torch.get_num_threads()}; models: {', '.join(models)}; 8 test scenes; median of 20")
    results = time_widget_updates()
    for name in ("threshold", "class", "layer", "acol"):
        verdict = "ok" if results[name] <= TARGET_MS else "TOO SLOW"
        print(f"{name:>9}: update {results[name]:6.2f} ms ({verdict}; target <= {TARGET_MS:.0f} ms), "
              f"with canvas.draw() {results[name + ' + draw']:6.1f} ms")


if __name__ == "__main__":
    main()
