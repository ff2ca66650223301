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
# # Worked solutions · 03 · Grad-CAM
#
# **Try each exercise in [notebook 03](../03_grad_cam.ipynb) first.** This
# notebook is kept apart from the lesson so that no viewer (GitHub,
# nbviewer, Binder, JupyterLab) shows an answer under its exercise.
#
# Each solution ends with `must_pass(...)`: it shows the exercise's check,
# and stops with an error if the worked solution no longer passes it (the
# course's tests run this notebook). The first cell loads what the
# exercises use, under the same names as in notebook 03.

# %%
import torch

from course_checks import grad_cam as checks
from course_checks import must_pass
from course_utils.cam import counterfactual_grad_cam, grad_cam
from course_utils.checkpoints import load_model, load_split
from course_utils.hooks import read_layer
from course_utils.localization import pointing_game
from course_utils.maps import upsample

flatten = load_model("flatten_cnn")
pair = load_split("pair")  # 200 two-creature scenes: object 0 on the left, object 1 on the right

# %% [markdown]
# ## Exercise 1: what the ReLU throws away
#
# $\alpha_k^c$ is the spatial mean of the gradient; the map is the
# weighted sum of the feature maps, without the ReLU. On pair scene 0 most
# of red's map is negative: the ReLU of Grad-CAM hides all of that.

# %%
def signed_grad_cam(model, layer, images, target=None):
    """sum_k alpha_k^c A^k, without the ReLU: [N, h, w]."""
    reading = read_layer(model, layer, images, target, method="signed_grad_cam")
    alpha = reading.gradient.mean(dim=(2, 3))  # [N, K]
    return torch.einsum("nk,nkij->nij", alpha, reading.activation)


red_map = signed_grad_cam(flatten, flatten.features, pair.images[0:1], 0)
share_negative = (red_map < 0).float().mean().item()
print(f"share of red's 256 cells below 0: {share_negative:.3f}")
must_pass(checks.check_signed_grad_cam(signed_grad_cam), checks.check_negative_share(share_negative))

# %% [markdown]
# ## Exercise 2: alpha by hand
#
# $\partial y / \partial A^1 = \begin{pmatrix} 3 & 0 \\ 0 & 1 \end{pmatrix}$,
# mean $\alpha_1 = 1$;
# $\partial y / \partial A^2 = \begin{pmatrix} 0 & -2 \\ 0 & 0 \end{pmatrix} + A^2
# = \begin{pmatrix} 1 & -3 \\ 2 & 2 \end{pmatrix}$, mean $\alpha_2 = 0.5$.
# Autograd agrees.

# %%
toy = checks.TOY_ACTIVATION.clone().requires_grad_(True)
(toy_gradient,) = torch.autograd.grad(checks.toy_score(toy), toy)
alpha = toy_gradient.mean(dim=(1, 2))
print("alpha:", alpha.tolist())
must_pass(checks.check_toy_alpha(alpha))

# %% [markdown]
# ## Exercise 3: occlusion by hand, and its score
#
# One batch of occluded copies per patch position; the drop of each
# image's own class score. No gradient is needed, hence `torch.no_grad()`.

# %%
@torch.no_grad()
def occlude(model, images, classes, patch=8):
    """Occlusion drops [N, H // patch, W // patch], patches filled with each image's mean."""
    n, _, height, width = images.shape
    fill = images.mean(dim=(2, 3), keepdim=True).expand_as(images)
    n_index = torch.arange(n)
    clean = model(images)[n_index, classes]
    drops = torch.empty(n, height // patch, width // patch)
    for i in range(height // patch):
        for j in range(width // patch):
            rows, cols = slice(i * patch, (i + 1) * patch), slice(j * patch, (j + 1) * patch)
            hidden = images.clone()
            hidden[:, :, rows, cols] = fill[:, :, rows, cols]
            drops[:, i, j] = clean - model(hidden)[n_index, classes]
    return drops


first = pair[:20]
hand_maps = upsample(occlude(flatten, first.images, first.labels[:, 0]), 64)
occlusion_hits = pointing_game(hand_maps, first.masks[:, 0], tolerance=4)
print(f"pointing game of the hand-made occlusion maps, 20 scenes: {occlusion_hits:.3f}")
must_pass(checks.check_occlusion(occlude), checks.check_occlusion_pointing(occlusion_hits))

# %% [markdown]
# ## Exercise 4: which creature?
#
# The peak of each map, upsampled to the image, and the nearest creature
# within 4 pixels.

# %%
def pointed_object(maps, masks, tolerance=4):
    """'left', 'right' or 'neither' for one map [1, h, w] and the scene's two masks [2, H, W]."""
    up = upsample(maps, tuple(masks.shape[-2:]))[0]
    y, x = divmod(int(up.argmax()), up.shape[1])
    distance = [
        ((torch.nonzero(m) - torch.tensor([y, x])) ** 2).sum(1).min().sqrt().item() for m in masks
    ]
    nearest = min((0, 1), key=lambda k: distance[k])
    return ("left", "right")[nearest] if distance[nearest] <= tolerance else "neither"


x3 = pair.images[3:4]
answer_a = pointed_object(counterfactual_grad_cam(flatten, flatten.features, x3, 0), pair.masks[3])
answer_b = pointed_object(grad_cam(flatten, flatten.features, x3, 2), pair.masks[3])
print(answer_a, answer_b)
must_pass(
    checks.check_pointed_object(answer_a, index=3, class_index=0, counterfactual=True),
    checks.check_pointed_object(answer_b, index=3, class_index=2),
)
