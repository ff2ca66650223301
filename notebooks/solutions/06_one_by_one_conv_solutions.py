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
# # Worked solutions · 06 · The 1×1 convolution as a class-map head
#
# **Try each exercise in [notebook 06](../06_one_by_one_conv.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 06.

# %%
import torch
import torch.nn.functional as F

from course_checks import must_pass
from course_checks import one_by_one_conv as checks
from course_utils.checkpoints import load_model

gap_model = load_model("gap_cnn")

# %% [markdown]
# ## Exercise 1: count the head
#
# One weight per (input channel, class) pair, and one bias per class
# (output channel). The 13x13 positions do not matter: the same weights
# are used at every position.

# %%
without_bias = sum(
    p.numel() for p in torch.nn.Conv2d(512, 1000, kernel_size=1, bias=False).parameters()
)
with_bias = sum(p.numel() for p in torch.nn.Conv2d(512, 1000, kernel_size=1).parameters())
print(f"without bias {without_bias:,}, with bias {with_bias:,}")
must_pass(checks.check_head_parameters(without_bias, with_bias, in_channels=512, num_classes=1000))

# %% [markdown]
# ## Exercise 2: the other direction
#
# A Conv2d weight is [out channels, in channels, kernel height, kernel
# width]; the classes are the output channels, so only two axes of size 1
# are added, no transpose.

# %%
conv_weight = gap_model.fc.weight.detach()[:, :, None, None]  # [4, 64, 1, 1]
must_pass(checks.check_conv_weight(conv_weight))

# %% [markdown]
# ## Exercise 3: a class map by hand
#
# $M_1(2, 0) = 0.5\, f_1(2, 0) + 2\, f_2(2, 0) - 1\, f_3(2, 0)
# = 0.5 \cdot 2 + 2 \cdot 1 - 0 = 3$, and $S_1$ is the mean of $M_1$ over
# the 9 positions.

# %%
toy_maps = torch.einsum("ck,khw->chw", checks.TOY_WEIGHTS, checks.TOY_FEATURES)  # [2, 3, 3]
map_value = toy_maps[1, 2, 0].item()
score = toy_maps[1].mean().item()  # GAP: the average over the 9 positions
must_pass(checks.check_toy_class_map(map_value, score))

# %% [markdown]
# ## Exercise 4: which heads are GAP then linear?
#
# Try each head on random features and compare with GAP then linear: the
# heads that stay linear all the way, (a), (b) and (e), agree. A ReLU (c)
# or a max (d) between the convolution and the pooling breaks the
# identity.

# %%
generator = torch.Generator().manual_seed(0)
features = torch.randn(3, 5, 4, 4, generator=generator)  # [N, K, h, w]
weight, bias = torch.randn(2, 5, generator=generator), torch.randn(2, generator=generator)
kernel = weight[:, :, None, None]
candidates = {
    "a": (F.conv2d(features, kernel).mean((2, 3)), False),
    "b": (F.conv2d(features, kernel, bias).mean((2, 3)), True),
    "c": (F.relu(F.conv2d(features, kernel)).mean((2, 3)), False),
    "d": (F.conv2d(features, kernel).amax((2, 3)), False),
    "e": (F.conv2d(features.mean((2, 3), keepdim=True), kernel, bias).flatten(1), True),
}
pooled = features.mean((2, 3))
answer = "".join(letter for letter, (scores, with_b) in candidates.items()
                 if torch.allclose(scores, F.linear(pooled, weight, bias if with_b else None),
                                   atol=1e-5))
print("the same as GAP then linear:", answer)
must_pass(checks.check_equivalent_heads(answer))
