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
# # Worked solutions · 02 · Global average pooling and CAM
#
# **Try each exercise in [notebook 02](../02_gap_cam.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 02.

# %%
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_checks import must_pass
from course_checks.gap_cam import (
    HEAD_CONFIG,
    MARGIN_CLASSES,
    POOLING_TENSOR,
    cam_exercise_images,
    check_head_parameters,
    check_margin_map,
    check_pooling,
    check_weight_shift,
)
from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_model

gap_cnn = load_model("gap_cnn")  # backbone -> GAP -> bias-free linear layer `fc`


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in a module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# %% [markdown]
# ## Exercise 1: pooling by hand
#
# Each 2x2 window gives one number: its mean, or its largest entry. Average
# pooling lets every entry of the window count; max pooling keeps only the
# strongest one, so a single large value (the 8 of the bottom-right window)
# decides its window alone.

# %%
print(POOLING_TENSOR)
avg_pooled = F.avg_pool2d(POOLING_TENSOR[None, None], kernel_size=2, stride=2)[0, 0]
max_pooled = F.max_pool2d(POOLING_TENSOR[None, None], kernel_size=2, stride=2)[0, 0]
print("average:", avg_pooled.tolist(), " max:", max_pooled.tolist())
must_pass(check_pooling(avg_pooled, max_pooled))

# %% [markdown]
# ## Exercise 2: counting parameters
#
# Flatten head: the 2x2 max-pool has no parameters and leaves $128 \times 8
# \times 8 = 8{,}192$ numbers; the first linear layer has
# $8{,}192 \times 256$ weights and 256 biases, the second $256 \times 10$
# weights and 10 biases. GAP head: one weight per (channel, class) pair,
# $128 \times 10$. Building the layers and counting gives the same.

# %%
c = HEAD_CONFIG
pooled_size = c["size"] // 2
flatten_layers = nn.Sequential(
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(c["channels"] * pooled_size * pooled_size, c["hidden"]),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(c["hidden"], c["classes"]),
)
gap_layers = nn.Sequential(
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c["channels"], c["classes"], bias=False)
)
flatten_head, gap_head = count_parameters(flatten_layers), count_parameters(gap_layers)
by_hand = (c["channels"] * pooled_size**2 * c["hidden"] + c["hidden"]
           + c["hidden"] * c["classes"] + c["classes"])
print(f"flatten head {flatten_head:,} (by hand {by_hand:,}), GAP head {gap_head:,}, "
      f"ratio {flatten_head / gap_head:.0f}")
must_pass(check_head_parameters(flatten_head, gap_head))

# %% [markdown]
# ## Exercise 3: the map of a margin
#
# *(a)* $S_c - S_{c'} = \frac{1}{hw}\sum_{x,y}\sum_k (w_k^c - w_k^{c'})
# f_k(x, y)$: the mean of one map, built with the weight vector
# $w^c - w^{c'}$. By linearity it is $M_c - M_{c'}$. The difference of the
# *normalised* maps would not do: each map is shifted and scaled by its own
# minimum and maximum, so their difference no longer has the margin as its
# mean.
#
# *(b)* With $w_k^c + a$, every class score gains the same amount,
# $a \sum_k F_k$ (with $F_k$ the pooled feature $k$), so the softmax, which
# sees only differences, does not change. Each CAM gains the map
# $a \sum_k f_k(x, y)$, which varies with the position: the CAMs change. In
# the margin map the added terms cancel: it does not change.

# %%
images = cam_exercise_images()  # [4, 3, 64, 64]
c, other = MARGIN_CLASSES
with torch.no_grad():
    features = gap_cnn.features(images)  # [4, 64, 16, 16]
    weight = gap_cnn.fc.weight  # [4 classes, 64 channels]
    margin_maps = torch.einsum("k,nkhw->nhw", weight[c] - weight[other], features)
    margin = gap_cnn(images)[:, c] - gap_cnn(images)[:, other]
print("margin S_blue - S_red per image:  ", [round(v, 3) for v in margin.tolist()])
print("mean of each margin map:          ", [round(v, 3) for v in margin_maps.mean((1, 2)).tolist()])
must_pass(check_margin_map(margin_maps))

shifted = copy.deepcopy(gap_cnn)
with torch.no_grad():
    shifted.fc.weight += 1.0
    probability_shift = (shifted(images).softmax(1) - gap_cnn(images).softmax(1)).abs().max()
    shifted_features = shifted.features(images)
    shifted_margin = torch.einsum("k,nkhw->nhw", shifted.fc.weight[c] - shifted.fc.weight[other],
                                  shifted_features)
cam_shift = (class_activation_map(shifted, images, c) - class_activation_map(gap_cnn, images, c))
print(f"largest change: probabilities {probability_shift:.1e}, blue's CAM {cam_shift.abs().max():.2f}, "
      f"margin map {(shifted_margin - margin_maps).abs().max():.1e}")
probabilities_change = bool(probability_shift > 1e-4)
cams_change = bool(cam_shift.abs().max() > 1e-4)
margin_map_changes = bool((shifted_margin - margin_maps).abs().max() > 1e-4)
must_pass(check_weight_shift(probabilities_change, cams_change, margin_map_changes))
