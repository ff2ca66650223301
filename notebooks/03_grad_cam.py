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
# # 03 · Grad-CAM
#
# ## Aim of this notebook
#
# CAM (notebook 02) reads the class map straight off the weights of a GAP +
# linear head. That is elegant, and it is also a constraint: the network
# must end in global average pooling and one linear layer, and only its last
# convolutional layer can be explained. Grad-CAM (Selvaraju et al., 2017)
# drops both conditions. It asks the network a question every network can
# answer: *if this feature map grew, how much would the class score grow?*
# The answer is a gradient, and averaging it gives each feature map's weight.
# We derive the weights, compute them by hand, use them on a model CAM cannot
# explain (and see what averaging the gradient costs there) and on earlier
# layers, compare Grad-CAM with three other explanation methods on scenes
# with two creatures, measure them all, and ask what argues *against* a
# class, and what tells one class from another.
#
# ### Learning goals
#
# After this notebook you can
#
# - write down Grad-CAM's weights $\alpha_k^c$ and its map, say why the
#   score is taken before softmax and why the map goes through a ReLU;
# - compute Grad-CAM by hand with a forward hook and `torch.autograd.grad`,
#   and check it against `course_utils.cam.grad_cam`;
# - apply Grad-CAM to a flatten + fully-connected head and to any
#   convolutional layer, and read what the measurements say about depth;
# - show that on a GAP + linear model Grad-CAM is CAM, up to a positive
#   constant you can name, and say what averaging the gradient does on other
#   heads, compared with the element-wise HiResCAM;
# - compare guided backpropagation, Grad-CAM, Guided Grad-CAM and occlusion
#   on the same scene, and score them with the pointing game;
# - compute a counterfactual map and test it by removing what it points at;
# - explain a score that is not a class, such as the margin between two
#   classes.
#
# ### Contents
#
# **Theory**
# 1. Grad-CAM: feature maps weighted by gradients
# 2. Before softmax, and after a ReLU
# 3. Grad-CAM generalises CAM, and is exact only there
# 4. Sharper maps: guided backpropagation and Guided Grad-CAM
# 5. Occlusion: explaining without gradients
# 6. The pointing game
# 7. Counterfactual explanations
#
# **Practical**
# 1. Grad-CAM by hand, then with `course_utils`
# 2. No change to the model: a flatten + fully-connected head
# 3. Any layer: the layer chooser
# 4. On a GAP model, Grad-CAM is CAM
# 5. Two creatures, four methods
# 6. The pointing game
# 7. What argues against a class?
# 8. A real photograph (when the pretrained weights can be had)
#
# **Discussion and summary**
#
# **Exercises** (with self-checks); worked solutions in a notebook of their own.
#
# ### References
#
# - Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra (2017). *Grad-CAM:
#   Visual Explanations from Deep Networks via Gradient-based Localization.*
#   ICCV. [arXiv:1610.02391](https://arxiv.org/abs/1610.02391)
# - Draelos, Carin (2020). *Use HiResCAM instead of Grad-CAM for faithful
#   explanations of convolutional neural networks.*
#   [arXiv:2011.08891](https://arxiv.org/abs/2011.08891)
# - Springenberg, Dosovitskiy, Brox, Riedmiller (2015). *Striving for
#   Simplicity: The All Convolutional Net.* ICLR workshop. (guided
#   backpropagation) [arXiv:1412.6806](https://arxiv.org/abs/1412.6806)
# - Zeiler, Fergus (2014). *Visualizing and Understanding Convolutional
#   Networks.* ECCV. (occlusion) [arXiv:1311.2901](https://arxiv.org/abs/1311.2901)
# - Zhang, Bargal, Lin, Brandt, Shen, Sclaroff (2018). *Top-down Neural
#   Attention by Excitation Backprop.* IJCV (ECCV 2016). (the pointing game)
#   [arXiv:1608.00507](https://arxiv.org/abs/1608.00507)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM, notebook 02)

# %% [markdown]
# ## Theory
#
# ### 1. Grad-CAM: feature maps weighted by gradients
#
# Pick a convolutional layer. Its output is $K$ feature maps
# $A^1, \dots, A^K$, each $h \times w$; $A^k_{ij}$ is map $k$ at row $i$,
# column $j$. Let $y^c$ be the network's score for class $c$, the logit,
# *before* softmax. Whatever comes after the layer (more convolutions, a
# flatten, fully-connected layers), $y^c$ is a differentiable function of
# the $A^k_{ij}$, so we can ask how fast it grows with each of them. Grad-CAM
# averages that over the positions, one number per feature map:
#
# $$
# \alpha_k^c \;=\; \frac{1}{Z} \sum_{i=1}^{h} \sum_{j=1}^{w}
#     \frac{\partial y^c}{\partial A^k_{ij}}, \qquad Z = h\,w .
# $$
#
# $\alpha_k^c$ is the *importance of feature map $k$ for class $c$*: if
# channel $k$ grew by the same small amount everywhere, $y^c$ would grow by
# about $Z\,\alpha_k^c$ times that amount. The class map is the feature maps
# weighted by their importance, as in CAM, and then rectified:
#
# $$
# L^c_{\text{Grad-CAM}} \;=\; \mathrm{ReLU}\Big( \sum_{k=1}^{K} \alpha_k^c A^k \Big)
#     \;\in\; \mathbb{R}^{h \times w}.
# $$
#
# It costs one forward pass and one backward pass that stops at the chosen
# layer: nothing about the model has to change.
#
# Nothing in the recipe needs $y^c$ to be a class score: any differentiable
# scalar computed from the feature maps will do. The Grad-CAM paper stresses
# this: it "uses the gradients of any target concept (say 'dog' in a
# classification network or a sequence of words in captioning network)", and
# calls the method applicable to CNNs "used for structured outputs (e.g.
# captioning)" and "used in tasks with multi-modal inputs (e.g. visual
# question answering)". We explain a *margin*, $y^a - y^b$, in practical
# section 7.
#
# ### 2. Before softmax, and after a ReLU
#
# **Why the score before softmax.** The probability
# $p_c = e^{y^c} / \sum_{c'} e^{y^{c'}}$ depends on every class's score: its
# gradient mixes "more evidence for $c$" with "less evidence for the others":
# a region can raise $p_c$ by raising $y^c$, but *also* by lowering a rival's
# score, and a map of $p_c$ cannot tell the two apart. And once the
# model is sure ($p_c \approx 1$), softmax saturates and every gradient of
# $p_c$ is close to zero. The logit $y^c$ has neither problem.
#
# **Why the ReLU.** $\sum_k \alpha_k^c A^k$ is positive where the features
# present push $y^c$ up, and negative where they push it down: typically
# where there is evidence for *another* class. We want the evidence *for*
# $c$, so the ReLU keeps the positive part. Without it, a map normalised to
# [0, 1] would spend its range on the negative regions too, and after
# normalisation it would be hard to tell "no evidence" from "evidence
# against". The part the ReLU throws away is not useless: section 7 uses it,
# and exercise 1 measures how much of a map it is.
#
# ### 3. Grad-CAM generalises CAM, and is exact only there
#
# Take a GAP + linear head and explain its last feature maps. Then
#
# $$
# y^c = \sum_k w_k^c \, \frac{1}{Z} \sum_{i,j} A^k_{ij}
# \quad\Longrightarrow\quad
# \frac{\partial y^c}{\partial A^k_{ij}} = \frac{w_k^c}{Z}
# \quad\Longrightarrow\quad
# \alpha_k^c = \frac{w_k^c}{Z},
# $$
#
# the same at every position. So
# $L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\big(\sum_k w_k^c A^k\big) / Z
# = \mathrm{ReLU}(M_c) / Z$, with $M_c$ the CAM of notebook 02: the same map up to the
# positive constant $1/Z$, so after min-max normalisation they look the same
# wherever $M_c > 0$.
#
# Only there is Grad-CAM exactly CAM. On any other head (a flatten and
# fully-connected layers, max-pooling, further convolutions) the gradient
# $\partial y^c / \partial A^k_{ij}$ changes from position to position, and
# $\alpha_k^c$ replaces it by its mean: a summary, which weights every
# position of channel $k$ the same, including positions the score does not
# depend on at all. **HiResCAM** (Draelos & Carin, 2020) keeps the gradient
# where it is, and multiplies element by element:
#
# $$
# L^c_{\text{HiResCAM}}(i, j) \;=\; \mathrm{ReLU}\Big( \sum_{k=1}^{K}
#     \frac{\partial y^c}{\partial A^k_{ij}} \, A^k_{ij} \Big).
# $$
#
# Same cost, same layer, one weight per channel *and position*. On a GAP +
# linear head the gradient is $w_k^c / Z$ everywhere, equal to its own mean,
# so HiResCAM and Grad-CAM coincide there. (LayerCAM, Jiang et al. 2021, is
# the same product with only the positive gradients.) Practical section 2
# shows where the two differ.
#
# ### 4. Sharper maps: guided backpropagation and Guided Grad-CAM
#
# Grad-CAM has the resolution of its layer (16x16 here, 7x7 for a ResNet on a
# 224x224 photo). The gradient of $y^c$ with respect to the *input pixels* is
# as sharp as the image, but noisy. **Guided backpropagation** (Springenberg
# et al., 2015) cleans it up by changing how the gradient goes back through
# each ReLU. An ordinary ReLU $a = \max(z, 0)$ passes the incoming gradient
# $g$ where its input was positive; a guided ReLU also drops negative
# gradients:
#
# $$
# \frac{\partial y^c}{\partial z}\Big|_{\text{guided}} = [z > 0]\cdot\max(g, 0).
# $$
#
# The result shows fine edges of what excites the network, but the Grad-CAM
# paper found it hardly *class-discriminative*: the picture for "cat" and for
# "dog" look alike. **Guided Grad-CAM** multiplies it, pixel by pixel, with
# Grad-CAM upsampled to the image: sharp *and* class-specific.
#
# ### 5. Occlusion: explaining without gradients
#
# Zeiler and Fergus (2014) asked the question directly: hide a patch of the
# image and see how far the score falls.
#
# $$
# O^c(i, j) = y^c(x) - y^c\big(x \text{ with the patch at } (i, j) \text{ filled}\big).
# $$
#
# No gradients and no assumptions about the network: it is the reference
# the others are often judged against. Its price is one forward pass per patch
# position: 64 passes per image for 8x8 patches at stride 8 on 64x64 scenes,
# 225 at stride 4.
#
# ### 6. The pointing game
#
# How do we *score* a map without a human? Zhang et al. (2016, 2018) proposed
# the pointing game: take the map's maximum, the one pixel it "points at",
# and count a **hit** if it falls on the object of the explained class (within
# a tolerance of 15 pixels at 224x224), a miss otherwise. The score is
# $\text{hits} / (\text{hits} + \text{misses})$. It needs only the object's
# mask, ignores the map's scale and spread, and asks the simplest question: is
# the strongest evidence on the right object? A map that points at the image
# centre, whatever the image, is the baseline to beat.
#
# ### 7. Counterfactual explanations
#
# Negate the weights, and the same recipe shows what lowers the score:
#
# $$
# L^c_{\text{counterfactual}} = \mathrm{ReLU}\Big( \sum_k (-\alpha_k^c) A^k \Big).
# $$
#
# It highlights regions whose features argue *against* class $c$. In a scene
# with a red creature and a green one, the counterfactual map of "red" should
# light up the green creature. The claim is testable: remove what the
# counterfactual map points at and $y^c$ should *rise*; remove what Grad-CAM
# points at and it should fall.

# %% [markdown]
# ## Practical
#
# Everything runs on the CPU in seconds, from the course's shipped models and
# frozen scenes. Two models carry the notebook, both with the same backbone
# `model.features` (a `Sequential`: blocks at 64x64, 32x32 and 16x16, then a
# 1x1 block at 16x16):
#
# - `flatten_cnn`: the features, max-pooled to 8x8, flattened into two
#   fully-connected layers. Its head sees every position separately: there is
#   no single weight per channel, and CAM cannot apply.
# - `gap_cnn`: GAP and a bias-free linear layer, the CAM model of notebook 02.

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display

from course_utils.cam import (
    class_activation_map,
    counterfactual_grad_cam,
    grad_cam,
    guided_backprop,
    guided_grad_cam,
    hires_cam,
    occlusion_map,
)
from course_utils.checkpoints import load_model, load_split
from course_checks import grad_cam as checks
from course_utils.hooks import read_layer
from course_utils.language import tr, tr_noop
from course_utils.localization import mean_map_by_region, peak_pixels, pointing_game
from course_utils.maps import min_max_normalise, to_image, upsample
from course_utils.plots import (
    FIG_WIDTH,
    GT_COLOUR,
    add_colorbar,
    class_label,
    compare_maps,
    draw_box,
    overlay_map,
    scene_grid,
    show_gradient,
    show_image,
)
from course_utils.pretrained import explain_photo, load_imagenet_resnet18, sample_photo
from course_utils.scenes import CLASS_NAMES
from course_utils.widgets import ClassExplorer, LayerChooser

# Our tensors are small: waking a pool of threads costs more than it saves,
# above all on a machine shared with other work (Binder, a classroom server).
torch.set_num_threads(1)

flatten = load_model("flatten_cnn")  # both come back in eval mode
gap = load_model("gap_cnn")
test = load_split("test")  # 1,000 one-creature scenes
pair = load_split("pair")  # 200 two-creature scenes: object 0 on the left, object 1 on the right
print(f"test scenes {tuple(test.images.shape)}, pair scenes {tuple(pair.images.shape)}")
print("classes:", ", ".join(f"{c} = {name}" for c, name in enumerate(CLASS_NAMES)))

# %% [markdown]
# ### 1. Grad-CAM by hand, then with `course_utils`
#
# We explain `flatten_cnn` at `model.features`, the last convolutional block,
# for eight test scenes and each scene's true class. Two things are needed:
# the feature maps $A$ and the gradient $\partial y^c / \partial A$.
#
# A **forward hook** on the layer hands us its output while the model runs;
# we keep that tensor. Because autograd is on, it is part of the graph that
# leads to the scores, so `torch.autograd.grad(score, A)` returns
# $\partial y^c / \partial A^k_{ij}$ for every channel and position, and
# touches no parameter's `.grad`. We sum the chosen scores of the eight
# images before differentiating: in eval mode the images do not influence
# each other, so each image's gradient is its own.

# %%
scenes = test[:8]
images, classes = scenes.images, scenes.labels

captured = {}


def keep_output(module, inputs, output):
    captured["A"] = output  # not detached: the gradient must be able to reach it


handle = flatten.features.register_forward_hook(keep_output)
try:
    scores = flatten(images)  # [N, classes], before softmax
finally:
    handle.remove()  # a hook left behind would fire in every later forward pass

A = captured["A"]  # [N, K, h, w]
y_c = scores[torch.arange(len(images)), classes]  # each image's score for its class
(dy_dA,) = torch.autograd.grad(y_c.sum(), A)  # [N, K, h, w]

alpha = dy_dA.mean(dim=(2, 3))  # alpha_k^c: the spatial mean, [N, K]
# ReLU(sum_k alpha_k A^k), [N, h, w]
by_hand = F.relu(torch.einsum("nk,nkhw->nhw", alpha, A)).detach()

print("A      ", tuple(A.shape))
print("alpha  ", tuple(alpha.shape))
print("map    ", tuple(by_hand.shape))

# %% [markdown]
# Now the library's `grad_cam(model, layer, images, target)`. It computes the
# same thing a little more frugally (it builds the autograd graph only from the
# layer on, and its hooks cannot leak, even on an error), so the numbers
# must agree to rounding error:

# %%
# NBVAL_CHECK_OUTPUT
library = grad_cam(flatten, flatten.features, images, classes)
print(f"largest map value:             {by_hand.max():.3f}")
print(f"max |by hand - library|:       {(by_hand - library).abs().max():.3f}")
print(f"positions the ReLU set to 0:   {(by_hand == 0).float().mean():.3f}")

# %% [markdown]
# ### 2. No change to the model: a flatten + fully-connected head
#
# What does CAM say about `flatten_cnn`? The library refuses, and says why:

# %%
try:
    class_activation_map(flatten, images)
except ValueError as error:
    print(f"ValueError: {error}")

# %% [markdown]
# Grad-CAM, computed above without touching the model, does not need a
# weight per channel: the gradient provides one. Where does `flatten_cnn`
# look? Each panel shows a scene with its creature's box and the Grad-CAM map
# of the creature's class, normalised to [0, 1] and upsampled bilinearly:

# %%
fig = scene_grid(scenes, range(8), maps=library, ncols=4)
fig.suptitle(tr("Grad-CAM of flatten_cnn at model.features (16x16), true class"), fontsize=11)
plt.show()

# %% [markdown]
# Like CAM in notebook 02, the map lights up the coloured head, the
# discriminative part, more than the body: a property of what the model
# learnt, not of the method. But look at the green scenes (first, second and
# sixth panel): a lit rectangle covers the background, framed by a darker
# band one cell wide along the image's border. Nothing green is there.
#
# The rectangle comes from the averaging. `flatten_cnn`'s head max-pools the
# 16x16 maps to 8x8, so in each 2x2 window only the largest activation of a
# channel receives any gradient, and the first linear layer has a different
# weight for every position. The gradient is anything but the same
# everywhere; Grad-CAM's $\alpha_k^c$ is its mean all the same, and so
# weights a channel's activation on the background as much as on the head.
# HiResCAM (theory section 3) keeps the gradient where it is. We compare the
# two on the same eight scenes, then measure on 200 test scenes, for the true
# class: the mean of the normalised map (upsampled to 64x64) on the head and
# on the background, the share of cells at half the map's maximum or more,
# and the pointing game.

# %%
reading = read_layer(flatten, flatten.features, images, classes, method="by hand")
print(f"gradient entries exactly 0 (max-pool): {(reading.gradient == 0).float().mean():.3f}")
hires = hires_cam(flatten, flatten.features, images, classes)
fig = scene_grid(scenes, range(8), maps=hires, ncols=4)
fig.suptitle(tr("HiResCAM of flatten_cnn at model.features (16x16), true class"), fontsize=11)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
two_hundred = test[:200]
print(f"{'method':<10}{'classes':<10}{'head':>7}{'backgr.':>9}{'cells >= 0.5':>14}"
      f"{'peak on creature':>18}")
for name, method in (("Grad-CAM", grad_cam), ("HiResCAM", hires_cam)):
    maps = method(flatten, flatten.features, two_hundred.images, two_hundred.labels)
    shown = to_image(maps, 64)
    half = (min_max_normalise(maps) >= 0.5).flatten(1).float().mean(1)
    for label, chosen in (("all", two_hundred.labels >= 0), ("green", two_hundred.labels == 1)):
        region = mean_map_by_region(
            shown[chosen], two_hundred.masks[chosen], two_hundred.part_masks[chosen]
        )
        hit = pointing_game(shown[chosen], two_hundred.masks[chosen])
        print(f"{name:<10}{label:<10}{region['part']:>7.3f}{region['background']:>9.3f}"
              f"{half[chosen].mean():>14.3f}{hit:>18.3f}")

# %% [markdown]
# HiResCAM puts about a third as much map on the background (0.024 against
# 0.066; on the green scenes 0.070 against 0.221), and on the green scenes
# the share of cells at half the maximum or more falls from 0.065 to 0.018:
# the rectangle was the averaging. It is not better at everything, though.
# Its map is patchier (in each 2x2 window of the max-pool only one position
# per channel has a gradient), it puts less of itself on the head (0.529
# against 0.786), and its peak lands on the creature less often (0.790
# against 0.897). Grad-CAM's average smooths the map as well as misplacing
# some of it. The rest of the notebook uses Grad-CAM, the method most
# libraries and papers mean by a class map; section 3 comes back to HiResCAM.
#
# ### 3. Any layer: the layer chooser
#
# Nothing in the formula says "last layer". Each block of the backbone gives
# feature maps, so each can be explained, at its own resolution. What changes
# with depth? Here is one scene, its true class, at the output of each block:

# %%
layers = {  # tr_noop: the names are shown through tr in figures
    tr_noop("block 1"): flatten.features[0],  # 3x3 conv, 64x64
    tr_noop("block 2"): flatten.features[2],  # 3x3 conv, 32x32
    tr_noop("block 3"): flatten.features[4],  # 3x3 conv, 16x16
    tr_noop("block 4, 1x1"): flatten.features[5],  # 1x1 conv, 16x16: model.features' output
}
one = test[:1]
layer_maps = {
    name: grad_cam(flatten, layer, one.images, one.labels)[0] for name, layer in layers.items()
}
titled = {f"{tr(name)} ({m.shape[0]}x{m.shape[1]})": m for name, m in layer_maps.items()}
fig = compare_maps(one.images[0], titled)
class_name = class_label(CLASS_NAMES[one.labels[0]])
fig.suptitle(
    tr("Grad-CAM of class {name} at each block of flatten_cnn").format(name=class_name),
    fontsize=11,
)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
border = torch.ones(64, 64, dtype=torch.bool)
border[1:-1, 1:-1] = False  # the outermost ring of pixels
print(f"{'layer':<15}{'cells > 0 before ReLU':>23}{'peak on creature':>18}{'peak on border':>16}")
for name, layer in layers.items():
    reading = read_layer(flatten, layer, one.images, one.labels, method="by hand")
    alpha_layer = reading.gradient.mean(dim=(2, 3))
    before_relu = torch.einsum("nk,nkij->nij", alpha_layer, reading.activation)
    shown = to_image(layer_maps[name][None], 64)
    peaks = peak_pixels(shown)[0]
    print(f"{name:<15}{(before_relu > 0).float().mean():>23.3f}"
          f"{pointing_game(shown, one.masks):>18.3f}{(peaks & border).sum() / peaks.sum():>16.3f}")

# %% [markdown]
# One scene, four different stories. Block 1's map is above 0 nearly
# everywhere, and its peak sits on the image border, not on the creature:
# the border pixels' 3x3 windows reach into the zero padding, so their
# activations differ from everyone else's, and a map that is positive almost
# everywhere lets such a small difference win. Block 2 finds the green head.
# Block 3's map is **empty**: the weighted sum is below 0 at every one of its
# 256 cells, the ReLU leaves nothing, and normalising an all-zero map gives
# the uniform dark panel (a map that is zero everywhere points nowhere in
# particular: the pointing game counts all its pixels as the peak, as in
# notebook 01, and scores it by the share of the image the creature
# covers). Block 4 finds the head, with the lit background rectangle of
# section 2 around it.
#
# One scene can mislead, so we measure on 100 test
# scenes, with the regions the scene generator knows: for each block, the
# mean of the normalised map (upsampled to 64x64) on the head, on the rest of
# the creature and on the background; the share of maps whose peak lies on
# the creature (the pointing game of section 6); and the share of maps that
# are zero everywhere. Then the same for HiResCAM, which does not average the
# gradient.

# %%
# NBVAL_CHECK_OUTPUT
hundred = test[:100]
print(f"{'layer':<15}{'map':>7}{'head':>7}{'body':>7}{'backgr.':>9}"
      f"{'peak on creature':>18}{'all zero':>10}")
for method in (grad_cam, hires_cam):
    print(method.__name__)
    for name, layer in layers.items():
        maps = method(flatten, layer, hundred.images, hundred.labels)
        shown = to_image(maps, 64)  # normalised, then upsampled
        region = mean_map_by_region(shown, hundred.masks, hundred.part_masks)
        empty = (maps.flatten(1).amax(1) == 0).float().mean()
        print(
            f"{name:<15}{maps.shape[-1]:>4}x{maps.shape[-2]:<2}"
            f"{region['part']:>7.3f}{region['rest of object']:>7.3f}{region['background']:>9.3f}"
            f"{pointing_game(shown, hundred.masks):>18.3f}{empty:>10.3f}"
        )

# %% [markdown]
# Depth does not bring the map onto the creature step by step. For Grad-CAM
# the last block is best (mean map on the head 0.778, peaks on the creature
# 0.915), but block 2 beats block 3 (peaks on the creature 0.810 against
# 0.709): at block 3 one map in five is zero everywhere, as on our scene,
# and an empty map points nowhere. Block 1 has the finest map, yet puts the
# least of it on the head (0.245), and only 0.661 of its peaks on the
# creature.
#
# Why can a map be empty? The weights $\alpha_k^c$ are an *average* of the
# gradient over all positions, most of them background. Above block 3 lie a
# 1x1 block, a max-pool and two fully-connected layers, so the gradient at
# one position can differ a lot from its mean, and the channels active on
# the head can get a negative mean weight: then $\sum_k \alpha_k^c A^k$ is
# below 0 everywhere. The HiResCAM rows test that explanation: with the
# gradient kept where it is, no map is empty at any block, and blocks 1 to 3
# point at the creature more often than Grad-CAM does. At block 4, though,
# Grad-CAM points better (0.915 against HiResCAM's 0.800): not averaging is
# not better everywhere.
#
# The Grad-CAM paper explains the last convolutional layer for another
# reason: "we can expect the last convolutional layers to have the best
# compromise between high-level semantics and detailed spatial
# information", since fully-connected layers lose *where*. Our last block
# confirms it here; the table shows the compromise is not a smooth function
# of depth.
#
# The layer chooser below has every block and every class cached, for four
# test scenes of the same class; pick a layer and a class and the maps update
# at once. The highlighted box is the creature of the chosen class. The
# static figure shows the default: the deepest layer, and the class the model
# predicts for the first scene.

# %%
same_class = torch.nonzero(test.labels == test.labels[0]).flatten()[:4]
shown_layers = {tr(name): layer for name, layer in layers.items()}  # the names, translated
chooser = LayerChooser.from_model(flatten, shown_layers, test[same_class])
chooser.figure

# %%
chooser.widget()

# %% [markdown]
# ### 4. On a GAP model, Grad-CAM is CAM
#
# Theory section 3 predicts that on `gap_cnn`, at its last feature maps
# ($16 \times 16$, so $Z = 256$),
# $L^c_{\text{Grad-CAM}} = \mathrm{ReLU}(M_c) / 256$. We compute both for the
# same eight scenes and compare:

# %%
# NBVAL_CHECK_OUTPUT
cam_maps = class_activation_map(gap, images, classes)  # M_c, [N, 16, 16], with its negative values
grad_cam_maps = grad_cam(gap, gap.features, images, classes)
Z = cam_maps.shape[-2] * cam_maps.shape[-1]
# where M_c is clearly above 0 (ratios near 0 are rounding noise)
positive = cam_maps > 1e-3 * cam_maps.abs().max()
ratio = cam_maps[positive] / grad_cam_maps[positive]
print(f"Z = h * w = {Z}")
print("max |Grad-CAM - ReLU(CAM) / Z|:         "
      f"{(grad_cam_maps - F.relu(cam_maps) / Z).abs().max():.3f}")
print(f"CAM / Grad-CAM where CAM > 0: from {ratio.min():.3f} to {ratio.max():.3f}")
print(f"share of CAM positions below 0:         {(cam_maps < 0).float().mean():.3f}")

# %% [markdown]
# The ratio is 256 everywhere CAM is positive. Where CAM is negative, Grad-CAM
# is 0: that is the ReLU. Normalised, the two maps are the same picture.
#
# ### 5. Two creatures, four methods
#
# The Grad-CAM paper's favourite picture is a cat and a dog in one photo: a
# good explanation for "cat" shows the cat, and for "dog" the dog. Our version
# is the pair split: two creatures of different classes per scene.
# `flatten_cnn` was trained on one creature per scene, so what does it make
# of two?

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    pair_scores = flatten(pair.images)
top_two = pair_scores.topk(2, dim=1).indices.sort(dim=1).values
both_on_top = (top_two == pair.labels.sort(dim=1).values).all(dim=1)
confident = (pair_scores.softmax(dim=1).amax(dim=1) > 0.9).float().mean()
print(f"pair scenes whose top class has p > 0.9:                  {confident:.3f}")
print(
    f"pair scenes whose two creatures' classes are the top two: {both_on_top.float().mean():.3f}"
)

# %% [markdown]
# Softmax nearly always gives one class almost all the probability, and only
# in about half the scenes are the two creatures' classes even the two
# highest scores: the model tends to pick one creature and argue against the
# other. That does not stop us: Grad-CAM explains the score $y^c$ of any class
# we name, whether the model chose it or not. Here is Grad-CAM for each
# class on four pair scenes, with a class dropdown (the box of the creature
# of the chosen class is drawn bright, the other faint):

# %%
pair_explorer = ClassExplorer.from_model(
    flatten,
    pair[:4],
    lambda model, x, c: grad_cam(model, model.features, x, c),
    method_name="Grad-CAM, flatten_cnn",
)
pair_explorer.figure

# %%
pair_explorer.widget()

# %% [markdown]
# Pick each class in turn: the map follows the creature with that head
# colour, even where the model gives the class a probability of 0.00. Grad-CAM
# is class-discriminative. For a class no creature in the scene has, there is
# nothing to follow, and what is left is the background rectangle of
# section 2 (try green).
#
# Now all four methods of the theory, explaining each of the two classes of
# a scene. The guided methods give one gradient per colour channel; we show,
# and later score, its largest absolute value over the three channels at each
# pixel. We draw it as an image in grey, not over the scene: black is no
# gradient, white is the map's 99th percentile or more
# (`course_utils.plots.show_gradient`). Scaled to its single largest pixel
# instead, as the overlays are, only a few dozen of the 4,096 pixels would
# be visible. Grad-CAM and occlusion, coarse maps, are laid over the scene.
# Occlusion hides 8x8 patches at stride 8 (64 patch positions),
# filled with the scene's mean colour. First the cat-and-dog case: the first
# pair scene in which the two creatures' classes are the model's two highest
# scores.

# %%
METHODS = (  # tr_noop: the names are shown through tr in figures
    tr_noop("guided backprop"), "Grad-CAM", tr_noop("Guided Grad-CAM"), tr_noop("occlusion")
)
GUIDED = ("guided backprop", "Guided Grad-CAM")  # pixel-level gradients, drawn as images


def pixel_strength(gradient):
    """An input gradient [N, 3, H, W] as one map [N, H, W]: the largest absolute value over the
    colour channels."""
    return gradient.abs().amax(dim=1)


def four_maps(model, images, classes):
    """The four methods' maps for class classes[n] of images[n], each [N, H', W'] (not normalised;
    occlusion signed)."""
    return {
        "guided backprop": pixel_strength(guided_backprop(model, images, classes)),
        "Grad-CAM": grad_cam(model, model.features, images, classes),
        "Guided Grad-CAM": pixel_strength(guided_grad_cam(model, model.features, images, classes)),
        # batch_size: 64 occluded copies per forward pass stay in the CPU's cache, twice as fast
        # as 256 here.
        "occlusion": occlusion_map(
            model, images, classes, patch=8, stride=8, baseline="mean", batch_size=64
        ),
    }


# the first cat-and-dog scene, then the first scene
shown_scenes = [int(torch.nonzero(both_on_top)[0]), 0]
# per class
cached = [four_maps(flatten, pair.images[shown_scenes], c) for c in range(len(CLASS_NAMES))]


def show_four_methods(rows):
    """One row per (scene, class): the scene with that creature's box, then the four maps
    (occlusion: positive part)."""
    fig, axes = plt.subplots(
        len(rows),
        5,
        figsize=(FIG_WIDTH, 1.9 * len(rows) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for row, (i, c) in zip(axes, rows):
        n = shown_scenes.index(i)
        image = pair.images[i]
        scene_title = tr("scene {index}: class {name}\n(y = {y:.1f})")
        class_name = class_label(CLASS_NAMES[c])
        title = scene_title.format(index=i, name=class_name, y=pair_scores[i, c])
        show_image(image, row[0], title=title)

        for box, label in zip(pair.boxes[i], pair.labels[i].tolist()):
            if label == c:
                draw_box(row[0], box, GT_COLOUR)
        for ax, name in zip(row[1:], METHODS):
            cam_map = cached[c][name][n]
            if name in GUIDED:
                title = tr("{method}\n|gradient|").format(method=tr(name))
                show_gradient(cam_map, ax, title=title)
            else:
                overlay_map(image, cam_map.clamp(min=0), ax, title=tr(name), colorbar=False)
    add_colorbar([row[k] for row in axes for k in (2, 4)])
    return fig


def share_on_creatures(i, c):
    """Per method, the share of the map's positive part (at 64x64) on the creature of class c and
    on the other creature of pair scene i."""
    n = shown_scenes.index(i)
    k = pair.labels[i].tolist().index(c) if c in pair.labels[i].tolist() else None
    shares = {}
    for name in METHODS:
        up = upsample(cached[c][name][n : n + 1].clamp(min=0), 64)[0]
        total = up.sum().clamp(min=1e-12)
        own = (up * pair.masks[i, k]).sum() / total if k is not None else float("nan")
        other = (up * pair.masks[i, 1 - k]).sum() / total if k is not None else float("nan")
        shares[name] = (own, other)
    return shares


def print_shares(rows):
    print(f"{'scene, class':<16}" + "".join(f"{name:>17}" for name in METHODS))
    print(f"{'':<16}" + "".join(f"{'own   other':>17}" for _ in METHODS))
    for i, c in rows:
        shares = share_on_creatures(i, c)
        print(f"{f'{i}, {CLASS_NAMES[c]}':<16}"
              + "".join(f"{own:>11.3f}{other:>6.3f}" for own, other in shares.values()))


cat_and_dog = shown_scenes[0]
show_four_methods([(cat_and_dog, c) for c in pair.labels[cat_and_dog].tolist()])
plt.show()

# %% [markdown]
# How much of each map lies on the explained creature ("own") and on the
# other one? Shares of the map's positive part, at 64x64 (the creatures
# cover about 4% of the image each):

# %%
# NBVAL_CHECK_OUTPUT
print_shares([(cat_and_dog, c) for c in pair.labels[cat_and_dog].tolist()])


# %% [markdown]
# For each class, Grad-CAM, Guided Grad-CAM and occlusion put their map on
# the creature with that head colour and almost none of it (0.004 at most)
# on the other one. Guided backprop's image shows the head of the explained
# class brightest, but the other creature's head too: 0.241 of its map for
# red, 0.157 for blue, lies on the other creature. Guided Grad-CAM keeps the
# sharp outline of the head inside Grad-CAM's blob (0.790 and 0.756 of it on
# the creature); Grad-CAM's blob has the size of its 4x4-pixel cells, and
# occlusion's of its 8x8 patches.
#
# The first pair scene is harder. The model is sure it shows a red creature;
# the green one, on the right, gets a score far below zero. What do the four
# methods say about green?

# %%
show_four_methods([(0, c) for c in pair.labels[0].tolist()])
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print_shares([(0, c) for c in pair.labels[0].tolist()])
green = CLASS_NAMES.index("green")
signed = cached[green]["occlusion"][shown_scenes.index(0)]  # 8x8 patch positions
print(f"occlusion of green, scene 0: drops from {signed.min():.1f} to {signed.max():.1f}")
# Green on scene 1, which has no green creature: the dropdown's default below.
absent = grad_cam(flatten, flatten.features, pair.images[1:2], green)
absent_hires = hires_cam(flatten, flatten.features, pair.images[1:2], green)
print("green on scene 1 (no green creature), cells >= 0.5 of the map's maximum: "
      f"Grad-CAM {(min_max_normalise(absent) >= 0.5).float().mean():.3f}, "
      f"HiResCAM {(min_max_normalise(absent_hires) >= 0.5).float().mean():.3f}")

# %% [markdown]
# For red, the four methods agree again. For green they do not. **Guided
# backprop** draws nearly the same picture as for red, the red head bright:
# more of its map lies on the red creature (0.274) than on the green one
# (0.244). It shows what excites the network's neurons, whichever class we
# ask about. This is the Grad-CAM paper's finding: guided backprop is sharp
# but not class-discriminative. **Grad-CAM** finds the green head although
# the model is sure the scene is not green: the features there would raise
# green's score, and the rest of the scene lowers it more. Only 0.214 of its
# map lies on the green creature, though; most of the rest is the background
# rectangle of section 2. **Guided Grad-CAM** keeps guided backprop's sharp
# pixels only on the green creature (0.721 of its map, 0.003 on the red
# one), outlining its head and striped body. **Occlusion** for green is
# small where it is positive: hiding one 8x8 patch lowers green's score by
# 2.5 at most. Hiding a patch can also *raise* it, by up to 38.0 (the
# `occlusion of green` line: its most negative drop is −38.0). Its positive part is split between the green creature
# (0.248) and the red one's body (0.162).
#
# We drew occlusion's *positive part* above. The raw occlusion map is signed:
# hiding a patch can also *raise* the score. Here is green's occlusion map on
# scene 0, raw and rectified, each normalised to [0, 1]:

# %%
fig = compare_maps(
    pair.images[0],
    {tr("occlusion, signed"): signed, tr("occlusion, positive part"): signed.clamp(min=0)},
)
plt.show()

# %% [markdown]
# The signed map is dominated by its most negative cell: hiding the red
# head *raises* green's score by 38.0, and normalising to [0, 1] pushes every
# other cell of the image close to 1, so the whole scene looks "important
# for green". Its positive part shows only what green's score relies on.
# This is Grad-CAM's ReLU again (theory section 2): keep the evidence *for*
# the class; what argues against it is a different map (section 7).
#
# Pick any class for both scenes with the dropdown, the two classes absent
# from them included. The default, green, has no creature in scene 1: there
# Grad-CAM lights the background rectangle of section 2, with 0.465 of its
# cells at half its maximum or more, against 0.012 for HiResCAM (last line
# printed above):

# %%
class_choice = widgets.Dropdown(
    options=[(class_label(name), c) for c, name in enumerate(CLASS_NAMES)],
    value=int(pair.labels[0, 1]),
    description=tr("class"),
)
four_methods_output = widgets.Output()


def on_class_choice(change=None):
    with four_methods_output:
        four_methods_output.clear_output(wait=True)
        show_four_methods([(i, class_choice.value) for i in shown_scenes])
        plt.show()


class_choice.observe(on_class_choice, names="value")
on_class_choice()
widgets.VBox([class_choice, four_methods_output])

# %% [markdown]
# ### 6. The pointing game
#
# One scene proves nothing. We score every method on pair scenes: for each
# scene and each of its two creatures, explain that creature's class, find
# the map's peak (maps at 16x16 or 8x8 are first upsampled bilinearly to
# 64x64, so the peak is a pixel), and count a hit if it lies on that
# creature's mask. A map whose top is flat (a plateau of tied pixels, or
# pixels within 0.1% of its range of the maximum) scores the share of its
# peak pixels that hit, as in notebook 01. We play at two tolerances: 0 pixels (exactly on
# the mask) and 4 pixels (the paper's 15 pixels at 224x224, scaled to our 64x64 scenes;
# also the size of one cell of a 16x16 map). The baseline map peaks at the
# image centre, whatever the scene.
#
# Occlusion is the costly one: 64 forward passes per scene and class. To keep
# the notebook within seconds we play on the **first 50 pair scenes**, for
# every method alike (100 maps each).

# %%
# NBVAL_CHECK_OUTPUT
subset = pair[:50]
size = tuple(subset.images.shape[-2:])
rows, cols = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]), indexing="ij")
# peaks at the centre
centre = -((rows - (size[0] - 1) / 2) ** 2 + (cols - (size[1] - 1) / 2) ** 2).float()

columns = {"left, 0 px": ("left", 0), "right, 0 px": ("right", 0), "left, 4 px": ("left", 4),
           "right, 4 px": ("right", 4), "other, 4 px": ("other", 4)}
hits = {name: {} for name in (*METHODS, "centre baseline")}
flat_tops = {}  # maps whose peak is several pixels, per method
for k, side in enumerate(("left", "right")):
    maps_k = four_maps(flatten, subset.images, subset.labels[:, k])
    maps_k = {name: upsample(m, size) if m.shape[-2:] != size else m for name, m in maps_k.items()}
    maps_k["centre baseline"] = centre.expand(len(subset), -1, -1)
    for name, maps in maps_k.items():
        for tolerance in (0, 4):
            hits[name][side, tolerance] = pointing_game(
                maps, subset.masks[:, k], tolerance=tolerance
            )
        # The peak on the *other* creature: the map points at the wrong object (both sides pooled).
        other = pointing_game(maps, subset.masks[:, 1 - k], tolerance=4)
        hits[name]["other", 4] = hits[name].get(("other", 4), 0.0) + other / 2
        several = int((peak_pixels(maps).flatten(1).sum(1) > 1).sum())
        flat_tops[name] = flat_tops.get(name, 0) + several

print(f"pointing game, flatten_cnn, {len(subset)} pair scenes: "
      "share of peaks on the explained creature")
print(f"(and, last column, on the other creature instead)")
print(f"{'method':<17}" + "".join(f"{column:>13}" for column in columns))
for name, score in hits.items():
    print(f"{name:<17}" + "".join(f"{score[key]:>13.3f}" for key in columns.values()))
print("maps with a flat top (of 100): "
      + ", ".join(f"{name} {count}" for name, count in flat_tops.items()))

# %% [markdown]
# Read the table row by row. Each value is a share of 50 maps (the last
# column pools both creatures: 100 maps), and a map with a flat top counts
# for the share of its peak pixels that hit. Occlusion's coarse 8x8 map,
# upsampled, has a flat top in 61 maps of 100, which is why its row is not
# in steps of 0.02; the centre baseline always has one (the four middle
# pixels are equally central).
#
# - **Grad-CAM** points at the right creature almost every time once we
#   allow 4 pixels, and almost never at the other one. At 0 pixels it loses a
#   few: its peak is the centre of a 4x4-pixel cell, the head it peaks on is
#   small and at the creature's end, and the peak can land just off the mask.
# - **Guided backprop** alone is the least class-discriminative: in a
#   quarter of the cases its peak is on the *other* creature, whatever the
#   tolerance, as in scene 0 above. **Guided Grad-CAM**, its product with
#   Grad-CAM, is as sharp, and points at the right creature nearly always,
#   even at 0 pixels.
# - **Occlusion** needs the tolerance: its peak is the centre of an 8x8
#   patch, often just off a slim creature. It also lands on the other
#   creature more often than Grad-CAM does (scene 0 showed why: for a class
#   the model has pushed far below zero, green there, hiding one patch lowers
#   the score by 2.5 at most, while hiding the red head raises it by 38.0).
#   A finer stride might help; try `stride=4` (225 positions, about 3.5 times
#   the cost).
# - The **centre baseline** is far behind every method: these scenes put their
#   creatures anywhere, so pointing at the middle is no strategy.
#
# How class-discriminative guided backprop is depends on the model: try
# `gap_cnn` (replace `flatten` by `gap` in the cell above) and compare.
#
# ### 7. What argues against a class?
#
# The counterfactual map of class $c$ is Grad-CAM with the weights negated.
# On a pair scene, what argues against the left creature's class? Here are
# the two scenes of section 5, each with Grad-CAM and the counterfactual map
# of its *left* creature's class.

# %%
left_class = pair.labels[:, 0]
# [200, 16, 16]
counterfactual = counterfactual_grad_cam(flatten, flatten.features, pair.images, left_class)
grad_cam_left = grad_cam(flatten, flatten.features, pair.images, left_class)

fig, axes = plt.subplots(
    2, 3, figsize=(FIG_WIDTH * 0.75, FIG_WIDTH / 2 + 0.4), layout="constrained"
)
for row, i in zip(axes, shown_scenes):
    name = class_label(CLASS_NAMES[left_class[i]])
    show_image(pair.images[i], row[0], title=tr("scene {index}").format(index=i))
    overlay_map(
        pair.images[i],
        grad_cam_left[i],
        row[1],
        title=tr("Grad-CAM: for {name}").format(name=name),
        colorbar=False,
    )
    overlay_map(
        pair.images[i],
        counterfactual[i],
        row[2],
        title=tr("counterfactual: against {name}").format(name=name),
        colorbar=False,
    )
add_colorbar(list(axes[:, 1:].flat))
plt.show()

# %% [markdown]
# In scene 1 the counterfactual map of red lights up the other creature's
# head: its features are evidence for a rival class (blue), and a rival's
# evidence lowers $y^{\text{red}}$; the model was trained on one creature per
# scene, where evidence for one class is evidence against the others. Scene 0
# is less tidy: the strongest evidence against red lies just below the red
# creature's own body, and the green creature gets only a faint glow. Which
# case is typical? Over all 200 pair scenes, where does the counterfactual
# map of the left creature's class peak (4-pixel tolerance)?

# %%
# NBVAL_CHECK_OUTPUT
counterfactual_up = upsample(counterfactual, 64)
on_other = pointing_game(counterfactual_up, pair.masks[:, 1], tolerance=4)
on_own = pointing_game(counterfactual_up, pair.masks[:, 0], tolerance=4)
print(f"counterfactual peak on the other creature: {on_other:.3f}")
print(f"counterfactual peak on its own creature:   {on_own:.3f}")

# %% [markdown]
# A map that points is a claim; removing what it points at tests the claim.
# We grey out the pixels where the counterfactual map (upsampled to 64x64) is
# highest, **5% of the image** (204 pixels; one creature covers about 160),
# filling them with each scene's mean colour, and compare the left class's
# score $y^c$ before and after. Two controls remove the same number of
# pixels: at random, and where *Grad-CAM* is highest. If the story holds,
# removing the counterfactual region raises $y^c$, removing random pixels
# barely changes it, and removing the Grad-CAM region lowers it.

# %%
REMOVED = 0.05  # share of the image's pixels to grey out


def top_pixels(maps, share=REMOVED):
    """Boolean masks [N, H, W] of the share of pixels where each map (upsampled to the image) is
    highest."""
    up = upsample(maps, 64).flatten(1)
    top = up.topk(int(share * up.shape[1]), dim=1).indices
    return torch.zeros_like(up, dtype=torch.bool).scatter_(1, top, True).view(-1, 64, 64)


def grey_out(images, masks):
    """Fill the masked pixels with each image's mean colour (the fill occlusion used)."""
    fill = images.mean(dim=(2, 3), keepdim=True)
    return torch.where(masks[:, None], fill, images)


@torch.no_grad()
def class_score(model, images, classes):
    """y^c for each image: the logit of its class, before softmax."""
    return model(images)[torch.arange(len(images)), classes]


random_maps = torch.rand(pair.images.shape[0], 64, 64, generator=torch.Generator().manual_seed(0))
removals = {  # tr_noop: the names are shown through tr in figures
    tr_noop("counterfactual region"): top_pixels(counterfactual),
    tr_noop("random pixels"): top_pixels(random_maps),
    tr_noop("Grad-CAM region"): top_pixels(grad_cam_left),
}
before = class_score(flatten, pair.images, left_class)

# %%
# NBVAL_CHECK_OUTPUT
print(f"pixels removed per scene: {int(removals['random pixels'][0].sum())} of {64 * 64}; "
      f"mean creature: {pair.masks.flatten(2).sum(-1).float().mean():.3f} pixels")
print(
    f"left creature's class, {len(pair)} pair scenes; mean score y^c before: {before.mean():.3f}"
)
print(f"{'removed (5% of pixels)':<24}{'mean change':>13}{'median change':>15}"
      f"{'share where y^c rose':>22}")
changes = {}
for label, masks in removals.items():
    changes[label] = class_score(flatten, grey_out(pair.images, masks), left_class) - before
    change = changes[label]
    print(f"{label:<24}{change.mean():>13.3f}{change.median():>15.3f}"
          f"{(change > 0).float().mean():>22.3f}")
rise = changes["counterfactual region"]
print("correlation of that rise with -y^c before: "
      f"{torch.corrcoef(torch.stack([rise, -before]))[0, 1]:.3f}")

# %% [markdown]
# The story holds: removing the counterfactual region raises the left class's
# score in about nine scenes out of ten, removing the Grad-CAM region (mostly
# the left creature's head) crushes it, and random pixels change it little.
# The rise is uneven, though (its median is well below its mean), and the
# last line says where it is large: in the scenes where the model had argued
# hardest against the class, those where it chose the other creature.
# Greying out that rival removes the reason for the low score. Where the
# class was winning already, little argues against it, and removing the
# counterfactual region changes little. `flatten_cnn`'s scores are large
# numbers (logits of a confident model), hence the large changes.
#
# What the removals look like on our two scenes, with the left class's score
# after each:

# %%
fig, axes = plt.subplots(2, 4, figsize=(FIG_WIDTH, FIG_WIDTH / 2 + 0.6), layout="constrained")
for row, i in zip(axes, shown_scenes):
    name = class_label(CLASS_NAMES[left_class[i]])
    original = tr("scene {index}, original\ny({name}) = {y:.1f}")
    show_image(pair.images[i], row[0], title=original.format(index=i, name=name, y=before[i]))
    for ax, (label, masks) in zip(row[1:], removals.items()):
        image = grey_out(pair.images[i : i + 1], masks[i : i + 1])
        score = class_score(flatten, image, left_class[i : i + 1]).item()
        removed = tr("{region} removed\ny({name}) = {y:.1f}")
        show_image(image[0], ax, title=removed.format(region=tr(label), name=name, y=score))
plt.show()

# %% [markdown]
# In both scenes the model had already chosen red, so there was little
# against red to remove: the counterfactual region (in scene 1 a patch beside
# the blue head, where the coarse map peaks) raises $y^{\text{red}}$ by about
# one point, random pixels change nothing visible, and removing the Grad-CAM
# region, the red head, sends the score below zero.
#
# **Beyond one class: a margin.** Grad-CAM explains any differentiable score
# (theory section 1). "Why red *rather than* green?" is the margin
# $y^a - y^b$ between the two creatures' classes, one scalar per scene. We
# wrap the model so that its only output is that margin; the library's
# `grad_cam` then explains it like a class score (target 0, the only
# output), and `counterfactual_grad_cam` shows what lowers it. The gradient
# is linear, so the margin's weights are $\alpha^a_k - \alpha^b_k$: the
# map before the ReLU is the difference of the two classes' maps, which the
# first line checks.

# %%
class Margin(torch.nn.Module):
    """A model whose one output is the margin y^a - y^b, for classes a[n], b[n] of image n."""

    def __init__(self, model, a, b):
        super().__init__()
        self.model, self.a, self.b = model, a, b

    def forward(self, x):
        scores = self.model(x)
        n = torch.arange(len(x))
        return (scores[n, self.a] - scores[n, self.b])[:, None]


right_class = pair.labels[:, 1]
margin = Margin(flatten, left_class, right_class)  # y(left class) - y(right class)
for_margin = grad_cam(margin, flatten.features, pair.images, 0)
against_margin = counterfactual_grad_cam(margin, flatten.features, pair.images, 0)


def signed_map(classes):
    """flatten_cnn's sum_k alpha_k^c A^k before the ReLU, at model.features, class classes[n]."""
    reading = read_layer(flatten, flatten.features, pair.images, classes, method="by hand")
    return torch.einsum("nk,nkij->nij", reading.gradient.mean(dim=(2, 3)), reading.activation)

# %%
# NBVAL_CHECK_OUTPUT
difference = signed_map(left_class) - signed_map(right_class)
print("max |margin's map - (left class's map - right class's map)|: "
      f"{(for_margin - against_margin - difference).abs().max():.3f}")
print(f"{'peak of (4-pixel tolerance)':<36}{'on left creature':>18}{'on right creature':>19}")
for label, maps in (("positive part (for y^a - y^b)", for_margin),
                    ("negative part (against)", against_margin)):
    up = upsample(maps, 64)
    print(f"{label:<36}{pointing_game(up, pair.masks[:, 0], tolerance=4):>18.3f}"
          f"{pointing_game(up, pair.masks[:, 1], tolerance=4):>19.3f}")

# %%
fig, axes = plt.subplots(
    2, 3, figsize=(FIG_WIDTH * 0.75, FIG_WIDTH / 2 + 0.4), layout="constrained"
)
for row, i in zip(axes, shown_scenes):
    a, b = class_label(CLASS_NAMES[left_class[i]]), class_label(CLASS_NAMES[right_class[i]])
    show_image(pair.images[i], row[0], title=tr("scene {index}").format(index=i))
    overlay_map(pair.images[i], for_margin[i], row[1],
                title=tr("for y({a}) - y({b})").format(a=a, b=b), colorbar=False)
    overlay_map(pair.images[i], against_margin[i], row[2],
                title=tr("against y({a}) - y({b})").format(a=a, b=b), colorbar=False)
add_colorbar(list(axes[:, 1:].flat))
plt.show()

# %% [markdown]
# One map, both creatures. The margin's map before the ReLU is exactly the
# difference of the two classes' maps (first line). Its positive part, what
# raises $y^a - y^b$, peaks on the left creature in 0.990 of the 200 scenes;
# its negative part, what lowers it, peaks on the right creature in 0.995.
# In scene 0 the "against" map also lights the background: green's map
# enters the margin with a minus sign, and brings its rectangle with it. The
# same wrapper explains any scalar the model computes: a sum of classes, a
# probability, a captioning model's log-probability of a sentence.

# %% [markdown]
# ### 8. A real photograph (when the pretrained weights can be had)
#
# Everything so far ran on tiny synthetic scenes. The same function explains
# a real ImageNet model on a real photo: torchvision's ResNet-18, at its last
# convolutional stage `layer4` (512 feature maps, 7x7 for a 224x224 input),
# for the class it ranks first. The photo ships with matplotlib (Grace Hopper,
# a pioneer of programming languages); the model's weights do not ship with
# the course. `load_imagenet_resnet18` reads them from your torch hub cache,
# or downloads them (45 MB, as on Binder). Offline and without a cache it
# says so in one sentence, and the notebook goes on (if the saved copy you are
# reading shows that sentence instead of a picture, it was run offline).

# %%
loaded = load_imagenet_resnet18(timeout=10.0)
if loaded is not None:
    resnet, categories = loaded
    # grad_cam(resnet, resnet.layer4, ...) inside
    explanation = explain_photo(resnet, categories, sample_photo())
    fig, ax = plt.subplots(figsize=(FIG_WIDTH / 2, FIG_WIDTH / 2 - 0.3), layout="constrained")
    title = tr("Grad-CAM at layer4 (7x7) of the top class:\n{name} (p = {p:.2f})").format(
        name=explanation.class_name, p=explanation.probability
    )

    overlay_map(explanation.crop, explanation.map, ax, title=title)
    plt.show()

# %% [markdown]
# ## Discussion and summary
#
# - Grad-CAM weights each feature map by the spatial mean of the gradient of
#   the class score (before softmax) and keeps the positive part of the
#   weighted sum. It needs one forward and one partial backward pass, and no
#   change to the model.
# - Computed by hand with a forward hook and `torch.autograd.grad`, it gave
#   the library's numbers to rounding error.
# - It explains heads CAM cannot read (`flatten_cnn`) and any layer. On a
#   GAP + linear model it *is* CAM, $\mathrm{ReLU}(M_c)/Z$ with $Z = 256$ for
#   our 16x16 maps; on any other head the averaged gradient is a summary. On
#   `flatten_cnn` it lights a background rectangle for green; HiResCAM, the
#   gradient times the activation position by position, puts about a third
#   as much map on the background, but points at the creature less often at
#   the last layer.
# - Depth is no steady improvement: the last block's Grad-CAM points best,
#   block 2 beats block 3, and at block 3 one map in five is empty (below 0
#   everywhere before the ReLU), which HiResCAM's maps never are.
# - On two-creature scenes, Grad-CAM and Guided Grad-CAM point at the right
#   creature nearly always. Guided backprop alone is sharp but not
#   class-discriminative: a quarter of its peaks fall on the other creature.
#   Gradients are images: drawn in grey, clipped at their 99th percentile,
#   they show the edges; scaled to their single largest pixel they look blank.
#   Occlusion needs no gradient but is coarse and costly, and a signed map
#   needs its positive part, as Grad-CAM has its ReLU. The pointing game turns
#   "looks right" into a number, and shows that the tolerance matters for
#   coarse maps.
# - The counterfactual map mostly points at the other creature; removing what
#   it shows raises the class score (most where the model had argued hardest
#   against the class), while removing the Grad-CAM region lowers it: a claim
#   about the model, tested on the model.
# - Any differentiable scalar can be explained: the margin $y^a - y^b$ of a
#   pair scene has its positive part on one creature and its negative part
#   on the other.
# - The same call, `grad_cam(model, layer, images, target)`, explains an
#   ImageNet ResNet-18 at `layer4` on a real photo, when its weights can be had.
#
# What Grad-CAM does *not* fix: it still sees mostly the discriminative part
# (the head: see the table of section 3), so boxes drawn from it cover only
# part of the creature. That is
# notebook 04's question (how to turn maps into boxes, and measure them), and
# notebook 05's answer (ACoL).
#
# ## Exercises
#
# Each exercise ends with a check that tells you what is right, or what was
# expected. The answers start as `None` (or a function that raises), so the
# checks say "Not yet" until you fill them in. The worked solutions are in
# a notebook of their own,
# [solutions/03_grad_cam_solutions.ipynb](solutions/03_grad_cam_solutions.ipynb),
# so that no answer shows under its exercise: try first.
#
# **Exercise 1: what the ReLU throws away.** (a) Write `signed_grad_cam`,
# Grad-CAM's map *before* its ReLU, $\sum_k \alpha_k^c A^k$, one `[h, w]` map
# per image. `read_layer(model, layer, images, target, method="mine")` (from
# `course_utils.hooks`) gives you the activation and the gradient.
# (b) Pair scene 0 shows a red creature (left) and a green one; the model is
# sure it is red. Guess first: at what share of the 256 cells of red's map is
# the weighted sum *below* 0? Then compute it with your function.

# %%
def signed_grad_cam(model, layer, images, target=None):
    """sum_k alpha_k^c A^k, without the ReLU: [N, h, w]."""
    raise NotImplementedError  # your code here


share_negative = None  # a number between 0 and 1
display(checks.check_signed_grad_cam(signed_grad_cam))
display(checks.check_negative_share(share_negative))

# %% [markdown]
# **Exercise 2: alpha by hand.** A toy layer has two 2x2 feature maps,
# $A^1 = \begin{pmatrix} 1 & 2 \\ 0 & 1 \end{pmatrix}$ and
# $A^2 = \begin{pmatrix} 1 & -1 \\ 2 & 2 \end{pmatrix}$
# (`checks.TOY_ACTIVATION`), and the class score is
# $y = 3A^1_{00} + A^1_{11} - 2A^2_{01} + \tfrac12 \sum_{ij} (A^2_{ij})^2$
# (`checks.toy_score`). Compute $\alpha_1$ and $\alpha_2$ with pen and paper,
# then check (with `torch.autograd.grad` if you like).

# %%
alpha = None  # [alpha_1, alpha_2]
checks.check_toy_alpha(alpha)


# %% [markdown]
# **Exercise 3: occlusion by hand, and its score.** (a) Write
# `occlude(model, images, classes, patch)`: for each patch position on a grid
# of step `patch` (8x8 positions for `patch=8`), fill that patch of every
# image with the image's mean colour and record the *drop* of the class
# score, $y^c(x) - y^c(x \text{ occluded})$, logits before softmax; return
# `[N, H / patch, W / patch]`. Use `torch.no_grad()`: no gradient is needed.
# (b) Score your maps with the pointing game: on the first 20 pair scenes,
# explain the left creature's class, upsample the maps to 64x64 and play with
# a tolerance of 4 pixels. Compare with occlusion's row in the table of
# section 6 (50 scenes, stride 8 too).

# %%
def occlude(model, images, classes, patch=8):
    """Occlusion drops [N, H // patch, W // patch], patches filled with each image's mean."""
    raise NotImplementedError  # your code here


occlusion_hits = None  # the pointing-game score, a number between 0 and 1
display(checks.check_occlusion(occlude))
display(checks.check_occlusion_pointing(occlusion_hits))

# %% [markdown]
# **Exercise 4: which creature?** Pair scene 3 has a red creature on the left
# and a yellow one on the right. With `flatten_cnn` at `flatten.features`:
# (a) where does the *counterfactual* map of red peak: on the `"left"`
# creature, the `"right"` one, or `"neither"` (no creature within 4 pixels of
# the peak)? (b) And the Grad-CAM map of blue, a class neither creature has?
# Guess first, then compute (upsample the map to 64x64, take the argmax, look
# at `pair.masks[3]`).

# %%
answer_a = None  # "left", "right" or "neither"
answer_b = None
display(checks.check_pointed_object(answer_a, index=3, class_index=0, counterfactual=True))
display(checks.check_pointed_object(answer_b, index=3, class_index=2))
