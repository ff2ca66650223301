# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Worked solutions · 04 · Weak supervision: from labels to boxes and masks
#
# **Try each exercise in [notebook 04](../04_weak_supervision.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 04.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_checks import must_pass
from course_checks import weak_supervision as checks
from course_utils.cam import class_activation_map, to_image
from course_utils.checkpoints import load_model, load_split
from course_utils.language import tr
from course_utils.localization import (
    box_iou,
    default_cam_thresholds,
    mask_iou_curve,
    mask_to_boxes,
    threshold_map,
)
from course_utils.plots import FIG_WIDTH

test = load_split("test")  # 1,000 frozen test scenes
model = load_model("gap_cnn")
with torch.no_grad():  # the true classes' CAMs, 250 scenes at a time, as in notebook 04
    cams = torch.cat([class_activation_map(model, images, labels)
                      for images, labels in zip(test.images.split(250), test.labels.split(250))])
maps = to_image(cams)  # normalised, then upsampled bilinearly: [1000, 64, 64]
thresholds = default_cam_thresholds()  # 0.00, 0.01, ..., 0.99
mask_curve = mask_iou_curve(maps, test.masks)  # the creature's curve of section 5

# %% [markdown]
# ## Exercise 1: box IoU by hand
#
# With exclusive corners the width of a box is x1 - x0, and the overlap's
# width min(x1, x1') - max(x0, x0') is clamped at 0 when the boxes do not
# overlap. An empty union (two boxes without pixels) gives 0, not a
# division by zero. First pair: overlap 3 x 3 = 9 pixels; areas 6 x 6 = 36
# and 8 x 4 = 32; IoU 9 / (36 + 32 - 9) = 9 / 59.

# %%
def my_box_iou(a, b):
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union if union > 0 else 0.0


must_pass(checks.check_box_iou(my_box_iou))

# %% [markdown]
# ## Exercise 2: which kind?
#
# Few labels; a tag where an outline is wanted; wrong labels; a class
# where a box is wanted.

# %%
kinds = ["incomplete", "inexact", "inaccurate", "inexact"]
must_pass(checks.check_kinds(kinds))

# %% [markdown]
# ## Exercise 3: Top-1 Loc from two numbers
#
# Top-1 Loc counts images that are both well classified (0.9) and well
# boxed (0.6). The two sets overlap at most by the smaller one, and at
# least by 0.9 + 0.6 - 1 (if the 0.1 misclassified images are all among
# the well-boxed ones).

# %%
top1_low, top1_high = 0.9 + 0.6 - 1, min(0.9, 0.6)
must_pass(checks.check_top1_bounds(top1_low, top1_high, accuracy=0.9, gt_known=0.6))

# %% [markdown]
# ## Exercise 4: how well does CAM segment the head?
#
# The same curve as in section 5, against the heads' masks: the head's
# curve peaks at a high threshold, where only the top of the map is kept.

# %%
head_curve = mask_iou_curve(maps, test.part_masks)
best = int(head_curve.argmax())
head_threshold, head_iou = thresholds[best].item(), head_curve[best].item()
print(f"head: best t = {head_threshold:.2f}, mean IoU {head_iou:.3f}; "
      f"creature: best t = {thresholds[int(mask_curve.argmax())]:.2f}, "
      f"mean IoU {mask_curve.max():.3f}")

fig, ax = plt.subplots(figsize=(FIG_WIDTH / 2, 3), layout="constrained")
ax.plot(thresholds, mask_curve, label=tr("creature"))
ax.plot(thresholds, head_curve, label=tr("head"))
ax.set(xlabel=tr("CAM threshold t"), ylabel=tr("mean mask IoU"), xlim=(0, 1))
ax.legend()
plt.show()
must_pass(checks.check_head_mask(head_threshold, head_iou))

# %% [markdown]
# ## Exercise 5: MaxBoxAcc, MaxBoxAccV2 and PxAP by hand
#
# The IoU of each image's box(es) at each threshold, then the box
# accuracies.

# %%
toy_ious = {}
for every in (False, True):  # largest component only (MaxBoxAcc), every component (V2)
    toy_ious[every] = torch.tensor([
        [box_iou(mask_to_boxes(threshold_map(m, t), multi_contour=every), b[None]).max().item()
         for m, b in zip(checks.TOY_MAPS, checks.TOY_BOXES)]
        for t in checks.TOY_THRESHOLDS])  # [3 thresholds, 3 images]
toy_max_box_acc = (toy_ious[False] >= 0.5).double().mean(1).max().item()
toy_max_box_acc_v2 = np.mean([(toy_ious[True] >= level).double().mean(1).max().item()
                              for level in (0.3, 0.5, 0.7)])
toy_norm = checks.TOY_MAPS / 4  # each map runs from 0 to 4
predicted_px = [toy_norm >= t for t in checks.TOY_THRESHOLDS]
toy_precision = [(p & checks.TOY_MASKS).sum().item() / p.sum().item() for p in predicted_px]
toy_recall = [(p & checks.TOY_MASKS).sum().item() / checks.TOY_MASKS.sum().item()
              for p in predicted_px] + [0.0]
toy_pxap = sum(p * (toy_recall[k] - toy_recall[k + 1]) for k, p in enumerate(toy_precision))
print(f"MaxBoxAcc {toy_max_box_acc:.3f}, MaxBoxAccV2 {toy_max_box_acc_v2:.3f}, "
      f"PxAP {toy_pxap:.3f}")
must_pass(checks.check_toy_metrics(toy_max_box_acc, toy_max_box_acc_v2, toy_pxap))
