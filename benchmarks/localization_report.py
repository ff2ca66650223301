"""How well do the shipped models' maps localize? CAM vs ACoL on the frozen test split.

Run ``python benchmarks/localization_report.py``. For each model it prints,
on the 1,000 test scenes, with each image's ground-truth class as the
target (GT-known) and maps normalised then upsampled bilinearly:

- MaxBoxAccV2 (IoU 0.3 / 0.5 / 0.7, all components) and its per-level parts,
- the original MaxBoxAcc (IoU 0.5, largest component),
- PxAP,
- the mean normalised map on the head (the discriminative part), on the rest
  of the creature, and on the background.

Thresholds are chosen the same way for every method: the best of the same
100 thresholds, per IoU level (Choe et al., CVPR 2020).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_utils.cam import class_activation_map  # noqa: E402
from course_utils.checkpoints import available_models, load_model, load_split  # noqa: E402
from course_utils.localization import box_accuracy_table, max_box_acc, mean_map_by_region, pxap  # noqa: E402
from course_utils.maps import to_image  # noqa: E402


def report_row(name: str, maps: torch.Tensor, scenes) -> str:
    table = box_accuracy_table(maps, scenes.boxes)
    per_level = table.amax(dim=1).tolist()
    v1 = max_box_acc(maps, scenes.boxes, iou_thresholds=(0.5,), multi_contour=False)
    regions = mean_map_by_region(maps, scenes.masks, scenes.part_masks)
    return (
        f"| {name} | {sum(per_level) / 3:.3f} | {per_level[0]:.3f} / {per_level[1]:.3f} / {per_level[2]:.3f} | "
        f"{v1:.3f} | {pxap(maps, scenes.masks):.3f} | "
        f"{regions['part']:.2f} / {regions['rest of object']:.2f} / {regions['background']:.2f} |"
    )


def main() -> None:
    scenes = load_split("test")
    rows = [
        "| maps | MaxBoxAccV2 | at IoU 0.3 / 0.5 / 0.7 | MaxBoxAcc (IoU 0.5) | PxAP | mean map: head / rest of body / background |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with torch.no_grad():
        for name in ("gap_cnn", "conv_head_cnn"):
            cam = class_activation_map(load_model(name), scenes.images, scenes.labels)
            rows.append(report_row(f"CAM, {name}", to_image(cam), scenes))
        for name in [m for m in available_models() if m.startswith("acol_")]:
            model = load_model(name)
            out = model.run(scenes.images, scenes.labels)
            rows_a = out.maps_a[torch.arange(len(scenes)), scenes.labels]
            rows.append(report_row(f"ACoL delta={model.delta}, branch A", to_image(rows_a), scenes))
            rows.append(report_row(f"ACoL delta={model.delta}, fused", to_image(out.fused), scenes))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
