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
# # Worked solutions · 01 · Why explain a network?
#
# **Try each exercise in [notebook 01](../01_xai_intro.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook, so a wrong solution cannot go
# unnoticed). The first cell loads what the exercises use, under the same
# names as in notebook 01.

# %%
import torch

from course_checks import must_pass
from course_checks import xai_intro as checks
from course_utils.checkpoints import load_model, load_split
from course_utils.scenes import CLASS_NAMES, CUE_CORNER, CUE_GLYPHS, CUE_SIZE

model = load_model("gap_cnn")
cue_model = load_model("cue_gap_cnn")
cue_test = load_split("cue_test")  # the cue world, glyph in every scene
cue_removed = load_split("cue_removed_test")  # the very same scenes, without the glyph
with torch.no_grad():
    predicted_without = cue_model(cue_removed.images).argmax(1)
    logits_8 = cue_model(cue_test.images[:8])  # [8, 4]

# %% [markdown]
# ## Exercise 1: shapes
#
# Two 2x2 max-pools take 96 to 48 to 24, and the last block has 64
# channels. One position still stands for 4x4 pixels: the pools set that,
# not the image size.

# %%
with torch.no_grad():
    answer = tuple(model.features(torch.zeros(1, 3, 96, 96)).shape[1:])
print(answer)
must_pass(checks.check_feature_map_shape(answer, image_size=96))

# %% [markdown]
# ## Exercise 2: softmax by hand
#
# Subtracting the row's largest logit multiplies numerator and denominator
# by the same $e^{-\max}$, so the result is unchanged; but no `exp` can
# overflow any more: in float32, `exp` is already infinite at 89.

# %%
print("exp in float32 of 88 and 89:", torch.exp(torch.tensor([88.0, 89.0])).tolist())
shifted = logits_8 - logits_8.amax(dim=1, keepdim=True)
probabilities_8 = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
must_pass(checks.check_softmax(probabilities_8, logits_8))

# %% [markdown]
# ## Exercise 3: who loses most?
#
# The accuracy over each class's scenes alone, without the glyph.

# %%
per_class = [
    (predicted_without[cue_removed.labels == c] == c).float().mean().item() for c in range(4)
]
weakest = min(range(4), key=lambda c: per_class[c])
weakest_class, weakest_accuracy = CLASS_NAMES[weakest], per_class[weakest]
print(", ".join(f"{name} {accuracy:.2f}" for name, accuracy in zip(CLASS_NAMES, per_class)))
must_pass(checks.check_weakest_class(weakest_class, weakest_accuracy))

# %% [markdown]
# ## Exercise 4: plant a trigger
#
# Paint the glyph into a copy, behind the creature (its pixels stay), and
# count the scenes called red.

# %%
y, x = CUE_CORNER
planted = cue_removed.images.clone()
where = CUE_GLYPHS[0] & ~cue_removed.masks[:, y : y + CUE_SIZE, x : x + CUE_SIZE]  # [N, 7, 7]
corner_cell = planted[:, :, y : y + CUE_SIZE, x : x + CUE_SIZE]  # a view into `planted`
corner_cell[where.unsqueeze(1).expand_as(corner_cell)] = 1.0
with torch.no_grad():
    fraction = (cue_model(planted).argmax(1) == 0).float().mean().item()
print(f"called red after planting: {fraction:.3f}")
must_pass(checks.check_trigger(fraction, class_index=0))
