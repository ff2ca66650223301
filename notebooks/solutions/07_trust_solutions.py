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
# # Worked solutions · 07 · Can you trust a map? The CAM family, tested against the truth
#
# **Try each exercise in [notebook 07](../07_trust.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 07.

# %%
import torch.nn.functional as F

from course_checks import must_pass
from course_checks import trust as checks
from course_utils import cam
from course_utils.checkpoints import load_model, load_split

test = load_split("test")
gap = load_model("gap_cnn")
relu_cam = F.relu(cam.class_activation_map(gap, test.images[:8], test.labels[:8]))  # ReLU(M_c)

# %% [markdown]
# ## Exercise 1: the constant
#
# With GAP then a linear layer, the class score is
# $y^c = \frac{1}{hw}\sum_{ij}\sum_k w^c_k A^k_{ij}$, so the gradient
# $g^k_{ij} = \partial y^c / \partial A^k_{ij}$ is $w^c_k / hw$ at every
# position. Grad-CAM's weight $W^k = \frac{1}{hw}\sum_{ij} g^k_{ij}$ is then
# $w^c_k / hw$ too, and Grad-CAM $= \mathrm{ReLU}\big(\sum_k W^k A^k\big)
# = \mathrm{ReLU}(M_c) / hw$, where $M_c = \sum_k w^c_k A^k$ is CAM: the
# factor is $hw$.

# %%
grad = cam.grad_cam(gap, gap.features, test.images[:8], test.labels[:8])
ratio = (relu_cam.sum() / grad.sum()).item()
factor = round(ratio)
print(f"sum of ReLU(CAM) / sum of Grad-CAM over 8 scenes: {ratio:.3f}; "
      f"h x w = {grad.shape[1]} x {grad.shape[2]} = {grad.shape[1] * grad.shape[2]}")
must_pass(checks.check_gap_grad_cam_factor(factor))

# %% [markdown]
# ## Exercise 2: the cost of Score-CAM
#
# One pass per image for its activations, then one per channel and image.

# %%
passes = 10 * (64 + 1)
must_pass(checks.check_forward_passes(passes, images=10, channels=64))
