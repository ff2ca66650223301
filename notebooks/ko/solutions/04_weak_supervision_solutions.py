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

# %% [markdown] en="f0bacacc7646"
# # 풀이 · 04 · 약지도: 레이블에서 박스와 마스크로
#
# **각 연습 문제는 먼저 [노트북 04](../04_weak_supervision.ipynb)에서 직접 풀어
# 보십시오.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도
# 연습 문제(exercise) 아래에 답이 보이지 않도록 강의 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다. 이 호출은 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 번째 셀은 연습 문제에서
# 쓰는 것을 노트북 04에서와 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="fc830c1d9eda"
# ## 연습 문제 1: 손으로 구하는 박스 IoU
#
# 끝 좌표를 포함하지 않는 꼭짓점에서 박스의 너비는 x1 - x0이고, 겹침의 너비
# min(x1, x1') - max(x0, x0')는 두 박스가 겹치지 않으면 0으로 자릅니다. 합집합이
# 비어 있으면(픽셀이 없는 두 박스) 0으로 나누는 대신 0을 돌려줍니다. 첫 번째 쌍:
# 겹침은 3 x 3 = 9픽셀, 넓이는 6 x 6 = 36과 8 x 4 = 32, IoU는
# 9 / (36 + 32 - 9) = 9 / 59입니다.

# %%
def my_box_iou(a, b):
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union if union > 0 else 0.0


must_pass(checks.check_box_iou(my_box_iou))

# %% [markdown] en="0a8a3b87076f"
# ## 연습 문제 2: 어느 종류일까?
#
# 레이블이 적음(불완전); 윤곽이 필요한 곳에 태그만 있음(거친); 틀린
# 레이블(부정확); 박스가 필요한 곳에 클래스만 있음(거친).

# %%
kinds = ["incomplete", "inexact", "inaccurate", "inexact"]
must_pass(checks.check_kinds(kinds))

# %% [markdown] en="0e74421c248a"
# ## 연습 문제 3: 두 수치로 구하는 Top-1 Loc
#
# Top-1 Loc은 올바르게 분류되고(0.9) 박스도 잘 맞은(0.6) 이미지를 셉니다. 두
# 집합의 겹침은 많아야 작은 쪽만큼이고, 적어도 0.9 + 0.6 - 1입니다(잘못 분류된
# 이미지 0.1이 모두 박스가 잘 맞은 이미지 가운데 있는 경우).

# %%
top1_low, top1_high = 0.9 + 0.6 - 1, min(0.9, 0.6)
must_pass(checks.check_top1_bounds(top1_low, top1_high, accuracy=0.9, gt_known=0.6))

# %% [markdown] en="c9dd0b6c0150"
# ## 연습 문제 4: CAM은 머리를 얼마나 잘 분할할까?
#
# 5절과 같은 곡선을 머리의 마스크에 대해 구합니다: 머리의 곡선은 맵의 맨 윗부분만
# 남는 높은 임계값에서 최고점(peak)에 이릅니다.

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

# %% [markdown] en="b73fd46ab2c4"
# ## 연습 문제 5: 손으로 구하는 MaxBoxAcc, MaxBoxAccV2, PxAP
#
# 각 임계값에서 각 이미지의 박스(들)의 IoU를 구한 다음, 박스 정확도를 구합니다.

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
