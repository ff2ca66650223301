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
# # Worked solutions · 05 · ACoL: adversarial complementary learning
#
# **Try each exercise in [notebook 05](../05_acol.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 05.

# %%
import torch

from course_checks import acol as checks
from course_checks import must_pass
from course_utils.checkpoints import load_model, load_split
from course_utils.maps import min_max_normalise

test = load_split("test")  # 1,000 frozen test scenes
acol = load_model("acol_05")  # trained with delta = 0.5
acol_models = {0.9: load_model("acol_09")}  # trained with delta = 0.9

# %% [markdown]
# ## Exercise 1: which positions are erased?
#
# Normalise with min 2 and max 10, so $(M - 2) / 8$; erase where that is
# $\ge 0.5$, i.e. $M \ge 6$. The 6 at row 1, column 1 is exactly 0.5:
# "$\ge$" erases it.

# %%
erased = (checks.MAP_A - checks.MAP_A.min()) / (checks.MAP_A.max() - checks.MAP_A.min()) >= 0.5
must_pass(checks.check_erased_positions(erased, delta=0.5))

# %% [markdown]
# ## Exercise 2: the fused map
#
# Normalise each map on its own, then the larger value wins. At (2, 3) B's
# 8 is its maximum (1.0), while A's 5 is only (5 - 2) / 8 = 0.375 of A's
# range: B supplies it.

# %%
fused = torch.maximum(min_max_normalise(checks.MAP_A), min_max_normalise(checks.MAP_B))
must_pass(checks.check_fused_map(fused))

# %% [markdown]
# ## Exercise 3: more or less?
#
# A position is erased where the normalised map is >= delta: a higher bar,
# fewer positions.

# %%
scenes_100 = test[:100]
with torch.no_grad():
    fraction = (
        acol.run(scenes_100.images, scenes_100.labels, delta=0.9).erased.float().mean().item()
    )
prediction = "less"
print(f"acol_05 erases {fraction:.3f} of the positions at delta = 0.9")
must_pass(checks.check_erased_fraction(prediction, fraction, delta=0.9))

# %% [markdown]
# ## Exercise 4: a classifier B out of its depth
#
# The same model, a lower threshold at test time; no labels, so A's
# predicted class is erased.

# %%
scenes_200 = test[:200]
with torch.no_grad():
    out_09 = acol_models[0.9].run(scenes_200.images, delta=0.5)
accuracy_b = (out_09.logits_b.argmax(1) == scenes_200.labels).float().mean().item()
print(f"acol_09's classifier B at delta = 0.5: accuracy {accuracy_b:.3f}")
must_pass(checks.check_b_at_other_delta(accuracy_b, model_name="acol_09", delta=0.5))
