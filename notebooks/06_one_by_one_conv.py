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
# # 06 · The 1×1 convolution as a class-map head
#
# ## Aim of this notebook
#
# Notebook 02 found the class activation map hidden inside a classifier: with
# global average pooling (GAP) followed by one linear layer, the class score
# is the average of a map $M_c(x, y)$, and we had to fish the feature maps
# out of the network to compute it. This notebook turns the head around. Put
# the linear layer *before* the pooling, as a 1×1 convolution with one output
# channel per class, and the network computes the class maps itself, in its
# forward pass; GAP then averages each map into its score. We show that the
# two heads are the same function, first on a tiny tensor and then on the
# course's models, compare the maps of independently trained models with
# the two heads, and then close the course. Said plainly from the start:
# the shipped `gap_cnn` and `conv_head_cnn` are *one training run computed
# twice* (same seed, same batches, and, by the equivalence below, the same
# steps), so their agreement shows the equivalence at work, not two
# independent witnesses; a `conv_head_cnn` trained from another seed is
# the independent witness.
#
# ### Learning goals
#
# After this notebook you can
#
# - explain a 1×1 convolution as one linear layer applied at every position,
#   count its parameters, and write a linear layer's weights as a 1×1
#   convolution's;
# - derive why "GAP, then linear" and "1×1 convolution, then GAP" compute
#   the same scores with the same weights, and say which changes to the head
#   (a bias, a ReLU, max pooling) keep or break that;
# - read the class maps straight off a network's head, without hooks, and
#   check numerically that they are CAM;
# - compare two models' maps with the measures of notebook 04 (MaxBoxAccV2,
#   PxAP, mean map by region) and with a correlation, and tell a real
#   replication from a shared random seed;
# - say what the course taught and where to read on: Grad-CAM++, Score-CAM,
#   LayerCAM, sanity checks for saliency maps, and fair WSOL evaluation.
#
# ### Contents
#
# **Theory**
# 1. A 1×1 convolution is a linear layer at every position
# 2. The class-map head: 1×1 convolution, then GAP
# 3. The same function as GAP then linear
# 4. What changes, and what breaks the equivalence
#
# **Practical**
# 1. A 1×1 convolution by hand
# 2. The class maps come out of the head
# 3. One function, two heads: moving the weights across
# 4. The shipped pair: one training run, computed twice
# 5. Independently trained heads, in numbers
# 6. Independently trained heads, in pictures
# 7. A classifier that slides
#
# **Discussion and summary**
#
# **The course in one page**, and **what to read next**
#
# **Exercises** (with self-checks) and open exercises; worked solutions in
# a notebook of their own.
#
# ### References
#
# - Lin, Chen, Yan (2014). *Network In Network.* ICLR. arXiv:1312.4400.
#   (1×1 convolutions as "mlpconv" layers; GAP over one map per class)
# - Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke,
#   Rabinovich (2015). *Going Deeper with Convolutions.* CVPR. (GoogLeNet:
#   1×1 convolutions that shrink the channels before costly 3×3 and 5×5
#   ones; average pooling before the classifier)
# - Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer (2016). *SqueezeNet:
#   AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size.*
#   arXiv:1602.07360. (1×1 "squeeze" layers; a 1×1 convolution to the 1,000
#   classes, then global average pooling, as its classifier)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM)
# - Zhang, Wei, Feng, Yang, Huang (2018). *Adversarial Complementary
#   Learning for Weakly Supervised Object Localization.* CVPR. (ACoL, whose
#   classifiers are 1×1-convolution heads)
# - Choe, Oh, Lee, Chun, Akata, Shim (2020). *Evaluating Weakly Supervised
#   Object Localization Methods Right.* CVPR. (MaxBoxAccV2, PxAP)
#
# The reading list for after the course is in its own section at the end.

# %% [markdown]
# ## Theory
#
# ### 1. A 1×1 convolution is a linear layer at every position
#
# A convolution with a $1 \times 1$ kernel looks at one position at a time.
# Its weight tensor has shape `[C, K, 1, 1]`: for each of its $C$ output
# channels, one number per input channel. At position $(x, y)$ it computes
#
# $$
# g_c(x, y) = \sum_{k=1}^{K} w_k^c \, f_k(x, y) \; (+\, b_c),
# $$
#
# the same weighted sum of the $K$ channel values at every position. Take
# the vector of channel values at one position,
# $\mathbf f(x, y) = (f_1(x, y), \dots, f_K(x, y))$: the 1×1 convolution
# applies one linear layer $W \in \mathbb{R}^{C \times K}$ to it, and the
# *same* layer at every position. It mixes channels and never mixes
# positions, so it keeps the spatial layout (and the receptive field) of its
# input. Its parameters are those of `nn.Linear(K, C)`: $KC$ weights, plus
# $C$ biases if it has them, whatever the size of the feature maps.
#
# Lin, Chen and Yan (2014) stacked such layers after ordinary convolutions
# ("mlpconv": a small multilayer perceptron slid over the image) to make
# each position's features a nonlinear function of its channels. GoogLeNet
# (Szegedy et al. 2015) used 1×1 convolutions to *shrink* the channels before
# the expensive 3×3 and 5×5 convolutions of each Inception module, and
# SqueezeNet (Iandola et al. 2016) built a whole network around such
# "squeeze" layers. The course's own backbone ends with a 1×1 block, which
# mixes the channels without widening the receptive field.
#
# ### 2. The class-map head: 1×1 convolution, then GAP
#
# Network in Network also replaced the fully connected classifier: its last
# layer has one output channel per class, and global average pooling turns
# each of those maps into that class's score. NIN's released models are not
# linear there, though: the NIN Caffe model for CIFAR-10 applies a ReLU
# after its last 1×1 convolution (10 channels, one per class), before the
# global average pooling, the non-linear kind of head that section 4 and
# exercise 4 set apart. The *linear* version, a bias-free 1×1 convolution
# straight into GAP, is the head that CAM's identity needs and that ACoL
# (notebook 05) builds its classifiers from. With $C$ classes and such a
# head on the backbone's feature maps $f_k(x, y)$ ($h \times w$ positions):
#
# $$
# M_c(x, y) = \sum_k w_k^c f_k(x, y), \qquad
# S_c = \frac{1}{hw} \sum_{x, y} M_c(x, y).
# $$
#
# The first formula is, symbol for symbol, the class activation map of
# notebook 02; that a linear 1×1 head's output *is* CAM is what Zhang et
# al. state as Proposition 1 of ACoL, in its section "Revisiting CAM": the
# class activation maps can be read directly off the class-specific
# feature maps of the last convolutional layer of such a fully
# convolutional network. In this head the map is not reconstructed after the fact: it is
# the output of the layer before the pooling, a tensor `[N, C, h, w]` that
# the forward pass computes anyway. The course's `ConvHeadCNN` is built this
# way, and `model.class_maps(images)` returns that tensor. No hooks, no
# gradients, no knowledge of which layer to tap.
#
# ### 3. The same function as GAP then linear
#
# Notebook 02's head pools first and weighs second:
# $F_k = \frac{1}{hw}\sum_{x,y} f_k(x, y)$, then $S_c = \sum_k w_k^c F_k$.
# Both steps are finite sums, and finite sums can be swapped:
#
# $$
# \sum_k w_k^c \underbrace{\frac{1}{hw} \sum_{x, y} f_k(x, y)}_{F_k}
# \;=\; \frac{1}{hw} \sum_{x, y} \underbrace{\sum_k w_k^c f_k(x, y)}_{M_c(x, y)}.
# $$
#
# So a `GapCNN` and a `ConvHeadCNN` with the same backbone and the same
# weights ($W$ of shape `[C, K]` in one, `[C, K, 1, 1]` in the other) give
# the same scores for every image. Both are linear maps from the feature
# maps to the scores; they differ only in the order of two linear steps.
# On a computer, "the same" means up to rounding: float32 adds the same
# numbers in a different order, and the results differ in the last bits.
#
# It follows that they also *learn* the same way: equal functions of the
# same parameters have equal gradients. Started from the same weights and
# shown the same batches, the two models would take the same steps. We will
# meet this again in practical section 4.
#
# ### 4. What changes, and what breaks the equivalence
#
# - **A bias.** A 1×1 convolution with bias $b_c$ adds $b_c$ at every
#   position; the average of a constant is the constant, so the score gains
#   $b_c$, exactly as a linear layer's bias. The equivalence holds. The map
#   then carries a constant offset, which min-max normalisation removes (and
#   CAM leaves out).
# - **Cost.** Weighing before pooling computes $C$ maps at $hw$ positions,
#   $C K h w$ multiply-adds instead of $C K$. Next to the backbone that is
#   nothing for a handful of classes; for 1,000 classes on a large map it
#   starts to count.
# - **A ReLU between the two steps.** Then $S_c = \frac{1}{hw} \sum_{x,y}
#   \mathrm{ReLU}(M_c(x, y))$, which is not $\mathrm{ReLU}$ of the average,
#   nor any linear layer after GAP. SqueezeNet puts a ReLU there, and so
#   does NIN's released CIFAR-10 model (section 2); the class
#   maps are still read off the head, but the score now ignores the
#   negative evidence.
# - **Max instead of average pooling.** $\max_{x,y} \sum_k w_k^c f_k(x, y)$
#   is not $\sum_k w_k^c \max_{x,y} f_k(x, y)$: each channel may peak at a
#   different position. The score is then the map's peak, and the gradient
#   reaches one position only.
#
# Exercise 4 asks you to sort such heads.

# %% [markdown]
# ## Practical
#
# We need the two shipped models with the two heads, the frozen test scenes,
# CAM and the localization measures of notebook 04, from `course_utils`. A
# small helper of our own runs a function over many scenes a batch at a time.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_manifest, load_model, load_split
from course_checks import one_by_one_conv as checks
from course_utils.language import tr
from course_utils.localization import (
    box_accuracy_table,
    default_cam_thresholds,
    mean_map_by_region,
    pointing_game,
    pxap,
)
from course_utils.maps import min_max_normalise, to_image
from course_utils.models import ConvHeadCNN, GapCNN
from course_utils.plots import (
    FIG_WIDTH,
    add_colorbar,
    class_label,
    overlay_map,
    plot_box_accuracy_curve,
    show_image,
)
from course_utils.scenes import CLASS_NAMES


def in_batches(fn, images, size=250):
    """``fn`` applied to ``images`` 250 at a time, results concatenated.

    Same numbers, less memory.
    """
    with torch.no_grad():
        return torch.cat([fn(chunk) for chunk in images.split(size)])


test = load_split("test")  # 1,000 frozen test scenes
print(f"test scenes: {tuple(test.images.shape)}; classes: {', '.join(CLASS_NAMES)}")

# %% [markdown]
# ### 1. A 1×1 convolution by hand
#
# Before any network, a tensor small enough to read: $K = 3$ feature maps of
# 2×3 positions, and weights for $C = 2$ classes. Whole numbers keep every
# sum exact, so we can ask for *equal*, not just close. We compute the class
# maps three ways: the formula as an `einsum`, PyTorch's `F.conv2d` with a
# 1×1 kernel (the weight needs two axes of size 1), and an ordinary linear
# layer applied to each position's vector of channels (move the channel axis
# last, apply, move it back).

# %%
# NBVAL_CHECK_OUTPUT
f = torch.tensor([[[1.0, 0.0, 2.0], [3.0, 1.0, 0.0]],  # f_1
                  [[0.0, 2.0, 1.0], [1.0, 0.0, 4.0]],  # f_2
                  [[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]]]).unsqueeze(0)  # f_3; [N=1, K=3, h=2, w=3]
W = torch.tensor([[1.0, -1.0, 0.5],  # w^0: weights of class 0
                  [0.0, 2.0, -1.0]])  # w^1: weights of class 1; [C=2, K=3]

maps_einsum = torch.einsum("ck,nkhw->nchw", W, f)  # M_c(x, y) = sum_k w_k^c f_k(x, y)
maps_conv = F.conv2d(f, W[:, :, None, None])  # a 1x1 convolution: weight [C, K, 1, 1]
maps_linear = F.linear(f.permute(0, 2, 3, 1), W).permute(0, 3, 1, 2)  # nn.Linear at every position

print("M_0 =", maps_einsum[0, 0].tolist())
print("M_1 =", maps_einsum[0, 1].tolist())
print("conv2d gives the same maps:", torch.equal(maps_conv, maps_einsum))
print(
    "a linear layer at every position gives the same maps:", torch.equal(maps_linear, maps_einsum)
)

# %% [markdown]
# Now the two heads of theory section 3 on this toy: average each class map
# (1×1 convolution, then GAP), or average each channel first and apply the
# weights to the averages (GAP, then linear).

# %%
# NBVAL_CHECK_OUTPUT
conv_then_gap = maps_conv.mean(dim=(2, 3))  # [1, C]
gap_then_linear = F.linear(f.mean(dim=(2, 3)), W)  # [1, C]
print("1x1 conv, then GAP:", [round(s, 4) for s in conv_then_gap[0].tolist()])
print("GAP, then linear:  ", [round(s, 4) for s in gap_then_linear[0].tolist()])
print("equal up to rounding:", torch.allclose(conv_then_gap, gap_then_linear))

# %% [markdown]
# The same two scores, as the swapped sums promised. (`allclose`, not
# `equal`: dividing by 6 positions is no longer exact in floating point,
# and the two orders round differently.)

# %% [markdown]
# ### 2. The class maps come out of the head
#
# `conv_head_cnn` is the course's backbone followed by the class-map head
# of theory section 2: a bias-free `Conv2d(64, 4, kernel_size=1)` named
# `classifier`, then GAP. It differs from Network in Network's head in
# having no ReLU between the 1×1 convolution and the pooling (NIN's mlpconv
# layers, and its released CIFAR-10 model's last layer, have one), so its
# maps are linear in the features, exactly CAM. It was trained from scratch
# like `gap_cnn`, with the same recipe (seed, scenes, epochs, optimiser);
# the manifest records both.

# %%
# NBVAL_CHECK_OUTPUT
conv_model = load_model("conv_head_cnn")
gap_model = load_model("gap_cnn")
print("conv_head_cnn's head:", conv_model.classifier, "then", conv_model.pool)
print("gap_cnn's head:      ", gap_model.pool, "then", gap_model.fc)
for name, head in (("conv_head_cnn", conv_model.classifier), ("gap_cnn", gap_model.fc)):
    print(f"{name}: {sum(p.numel() for p in head.parameters())} head parameters, weight shape "
          f"{list(head.weight.shape)}")
manifest = load_manifest()["models"]
for name in ("gap_cnn", "conv_head_cnn"):
    entry = manifest[name]
    print(f"{name}: seed {entry['config']['seed']}, {entry['config']['epochs']} epochs on "
          f"{entry['config']['n_train']:,} scenes, test accuracy {entry['test_accuracy']:.3f}")

# %% [markdown]
# The same 256 numbers in both heads, shaped `[4, 64, 1, 1]` in one and
# `[4, 64]` in the other. **What does `conv_head_cnn` compute before it
# pools?** `class_maps` runs the backbone and the 1×1 convolution and
# stops: four 16×16 maps per image, one per class. We take test scene 4 (a
# blue creature) and check that averaging each map gives the model's logits.

# %%
# NBVAL_CHECK_OUTPUT
SCENE = 4
image = test.images[SCENE : SCENE + 1]
with torch.no_grad():
    scene_maps = conv_model.class_maps(image)  # [1, 4, 16, 16]: the head's output, before GAP
    logits = conv_model(image)  # [1, 4]
print("class maps:", list(scene_maps.shape), f"(true class: {CLASS_NAMES[test.labels[SCENE]]})")
print("logits:            ", [round(z, 3) for z in logits[0].tolist()])
print("mean of each map:  ", [round(z, 3) for z in scene_maps[0].mean(dim=(1, 2)).tolist()])

# %% [markdown]
# Each logit is the mean of its map. So where does each class's score come
# from? Below are the four raw maps, before any normalisation, on one
# colour scale centred on zero: purple is evidence for the class, orange
# evidence against it (a scale whose colours are not those of the classes). Every pixel of a map is one position of the 16×16 grid (a 4×4
# cell of the image).

# %%
raw = scene_maps[0]
limit = raw.abs().max().item()
fig, axes = plt.subplots(1, 5, figsize=(FIG_WIDTH, 2.4), layout="constrained")
show_image(image[0], axes[0], title=tr("test scene {index}").format(index=SCENE))
for c, ax in enumerate(axes[1:]):
    drawn = ax.imshow(raw[c], cmap="PuOr", vmin=-limit, vmax=limit, interpolation="nearest")
    symbol = f"$M_{{\\mathrm{{{CLASS_NAMES[c]}}}}}$"  # the class name as an index, in English
    ax.set_title(tr("{map}, mean {mean:.2f}").format(map=symbol, mean=logits[0, c]), fontsize=10)
    ax.set_axis_off()
fig.colorbar(drawn, ax=list(axes[1:]), shrink=0.9, label=tr("map value (logit units)"))
plt.show()

# %% [markdown]
# The blue class's map has one strong purple spot, where the creature's
# head is, and is near zero elsewhere; its average is the largest logit.
# The other three maps are mostly slightly negative, with an orange spot on
# the same head: the blue head is evidence *against* red, green and yellow.
# A small, very strong spot on a large, lukewarm map averages to a modest
# logit; that is why the maps
# reach values more than ten times larger than the logits.
#
# Nothing here needed a hook: the maps are a tensor the model computes on
# its way to the logits.

# %% [markdown]
# ### 3. One function, two heads: moving the weights across
#
# Theory section 3 says a `GapCNN` with `conv_head_cnn`'s backbone and head
# weights is the same function. We build that twin: a fresh `GapCNN`, the
# backbone's state copied over, and the 1×1 kernel's weights, with its two
# axes of size 1 dropped, as the linear layer's weight. Then we compare, on
# the first 50 test scenes,
#
# - the twin's logits (GAP, then linear) with `conv_head_cnn`'s (1×1
#   convolution, then GAP);
# - the twin's CAM from `course_utils.cam.class_activation_map` (a hook
#   reads the feature maps, then the `einsum` of notebook 02) with the maps
#   that `conv_head_cnn` computes itself, for all four classes.
#
# `class_activation_map` also accepts `conv_head_cnn` directly: it finds the
# 1×1 `classifier` and uses its weights as $w_k^c$. We check that too.

# %%
twin = GapCNN()
twin.features.load_state_dict(conv_model.features.state_dict())
with torch.no_grad():
    twin.fc.weight.copy_(conv_model.classifier.weight[:, :, 0, 0])  # [4, 64, 1, 1] -> [4, 64]
twin.eval()  # batch norm with its running statistics, like the loaded models

subset = test.images[:50]
with torch.no_grad():
    logits_twin, logits_conv = twin(subset), conv_model(subset)
    head_maps = conv_model.class_maps(subset)  # [50, 4, 16, 16]
# [50, 4, 16, 16]
cam_twin = torch.stack([class_activation_map(twin, subset, c) for c in range(4)], dim=1)
cam_conv = torch.stack([class_activation_map(conv_model, subset, c) for c in range(4)], dim=1)

# %%
# NBVAL_CHECK_OUTPUT
print(f"50 test scenes; logits from {logits_conv.min():.1f} to {logits_conv.max():.1f}, "
      f"map values from {head_maps.min():.0f} to {head_maps.max():.0f}")
print("logits, twin vs conv_head_cnn, largest difference < 1e-4:",
      (logits_twin - logits_conv).abs().max().item() < 1e-4)
print(
    "predictions equal on",
    int((logits_twin.argmax(1) == logits_conv.argmax(1)).sum()),
    "of 50 scenes",
)
print(
    "CAM of the twin vs class_maps, largest difference < 1e-3:",
    (cam_twin - head_maps).abs().max().item() < 1e-3,
)
print("CAM of conv_head_cnn vs class_maps, largest difference < 1e-3:",
      (cam_conv - head_maps).abs().max().item() < 1e-3)
print("largest relative difference of the maps < 1e-6:",
      ((cam_twin - head_maps).abs().max() / head_maps.abs().max()).item() < 1e-6)

# %% [markdown]
# The same logits and the same maps, to float32 rounding (the maps' values
# reach about 100, and they agree to better than one part in a million).
# Two architectures on paper, one function in fact: the 1×1-convolution
# head *is* CAM, computed in the forward pass.

# %% [markdown]
# ### 4. The shipped pair: one training run, computed twice
#
# The twin above shared its weights by construction. The shipped `gap_cnn`
# and `conv_head_cnn` were each trained with their own head, but by the same
# recipe: seed 0 (`torch.manual_seed(0)` before the weights are drawn, and
# the same shuffled scenes and flips). The two architectures draw their
# initial weights in the same order, a `[4, 64]` or a `[4, 64, 1, 1]` head
# drawn by the same rule from the same 64 inputs, so they *start* identical;
# and, by theory section 3, equal functions of the same parameters have
# equal gradients, so they take the same steps. The course's own training
# code shows the start, and the shipped weights show the end.

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.train import COURSE_MODELS, build_model


def conv_weights(model):
    """Every convolution weight of the backbone, then the head's 256, as one vector each."""
    head = model.fc if isinstance(model, GapCNN) else model.classifier
    backbone = [p.flatten() for p in model.features.parameters() if p.dim() == 4]
    return torch.cat(backbone).detach(), head.weight.flatten().detach()


# seeds, then builds: the weights before training
start_gap = build_model(COURSE_MODELS["gap_cnn"])
start_conv = build_model(COURSE_MODELS["conv_head_cnn"])
print("before training, backbone and head identical:",
      all(torch.equal(p, q) for p, q in zip(conv_weights(start_gap), conv_weights(start_conv))))
for what, a, b in zip(("backbone convolutions", "head"), conv_weights(gap_model),
                      conv_weights(conv_model)):
    print(f"after training, {what:<22} largest |weight| {a.abs().max():.3f}, "
          f"largest difference {(a - b).abs().max():.3f}, "
          f"cosine similarity {F.cosine_similarity(a, b, dim=0):.3f}")
print("final training loss (manifest):",
      {name: manifest[name]["final_loss"] for name in ("gap_cnn", "conv_head_cnn")})

# %% [markdown]
# Identical at the start, and at the end nearly the same network: no
# weight differs by more than 0.005 (the weights reach 0.272 in the
# backbone and 0.441 in the head), the cosine similarity is 1.000, and the
# training loss is the same to four decimals. Only float32 rounding, one
# head summing over positions first and the other over channels, drifted
# them apart. Their maps will agree almost perfectly (the next section
# measures it), but that shows the equivalence at work through training,
# not two independent results. It cannot tell us whether a 1×1-convolution head trained on its
# own would look where the GAP head looks.

# %% [markdown]
# ### 5. Independently trained heads, in numbers
#
# For that, the course ships a third model: `conv_head_cnn_seed3`, the same
# recipe from seed 3, so with its own initial weights and its own batch
# order. (Why not seed 1? By section 4, a `ConvHeadCNN` from seed 1 would
# be the same run as `gap_cnn_seed1`; no shipped `GapCNN` uses seed 3.)
# Two runs differ by their head *and* by their seed, so we add a control:
# `gap_cnn_seed1`, the GAP head from seed 1. If the 1×1 head changed
# anything, `gap_cnn` against `conv_head_cnn_seed3` (other head, other
# seed) would differ more than `gap_cnn` against `gap_cnn_seed1` (same
# head, other seed).
#
# For all four models we compute the maps of all 1,000 test scenes and all
# four classes: `gap_cnn`'s CAM by hand from its feature maps and `fc`
# weights (the `einsum` that `class_activation_map` runs), the
# `ConvHeadCNN`s' maps straight off their heads. One forward pass per model;
# each model's logits are the means of its maps.

# %%
def class_maps_of(model):
    """The maps of every class, ``[1000, 4, 16, 16]``: read off a 1x1 head, or CAM for a GapCNN."""
    if isinstance(model, ConvHeadCNN):
        return in_batches(model.class_maps, test.images)  # the head's output, no hooks
    # M_c = sum_k w_k^c f_k
    return in_batches(
        lambda x: torch.einsum("ck,nkhw->nchw", model.fc.weight, model.features(x)), test.images
    )


models = {"gap_cnn": gap_model, "conv_head_cnn (same run)": conv_model,
          "conv_head_cnn_seed3": load_model("conv_head_cnn_seed3"),
          "gap_cnn_seed1": load_model("gap_cnn_seed1")}
all_maps = {name: class_maps_of(model) for name, model in models.items()}
rows = torch.arange(len(test))
true_maps = {name: maps[rows, test.labels] for name, maps in all_maps.items()}  # [1000, 16, 16]

# %% [markdown]
# We score each model as notebook 04 scores a method: the true class's map
# (GT-known), min-max normalised and upsampled to 64×64, and
#
# - **MaxBoxAccV2**: the box accuracy at the best of 100 thresholds, per IoU
#   level 0.3, 0.5, 0.7, averaged (Choe et al. 2020), all components' boxes;
# - **PxAP**: the area under the pixel precision-recall curve of the map
#   against the creature's mask;
# - the **pointing game**: does the map's peak fall on the creature?
# - the **mean normalised map** on the head (the discriminative part), on
#   the rest of the creature, and on the background;
#
# and, first, the test accuracy (the class whose map has the largest mean).
# `conv_head_cnn`, the same run as `gap_cnn`, is left out of this table
# (its maps are `gap_cnn`'s, as the correlations below show), which saves a
# quarter of its cost.

# %%
# NBVAL_CHECK_OUTPUT
results = {}
for name in ("gap_cnn", "conv_head_cnn_seed3", "gap_cnn_seed1"):
    maps = all_maps[name]
    images = to_image(true_maps[name])  # [1000, 64, 64], in [0, 1]
    table = box_accuracy_table(images, test.boxes)  # [3 IoU levels, 100 thresholds]
    region = mean_map_by_region(images, test.masks, test.part_masks)
    results[name] = {
        "test accuracy": (maps.mean(dim=(2, 3)).argmax(1) == test.labels).float().mean().item(),
        "MaxBoxAccV2": table.amax(1).mean().item(),
        **{f"  best box accuracy at IoU {level}": best
           for level, best in zip((0.3, 0.5, 0.7), table.amax(1).tolist())},
        "PxAP": pxap(images, test.masks),
        "pointing game (peak on the creature)": pointing_game(images, test.masks),
        "mean map on the head": region["part"],
        "mean map on the rest of the creature": region["rest of object"],
        "mean map on the background": region["background"],
    }
names = list(results)
print("seed 3: conv_head_cnn_seed3 (1x1 head); seed 1: gap_cnn_seed1 (GAP head)")
print(f"{'1,000 test scenes, true class':<38}{'gap_cnn':>8}{'seed 3':>8}{'seed 1':>8}"
      f"{'minus gap_cnn: seed 3 / seed 1':>33}")
for measure, value in results["gap_cnn"].items():
    others = [results[n][measure] for n in names[1:]]
    # rounded first, + 0.0: a difference that rounds to zero prints +0.000, never -0.000
    differences = " / ".join(f"{round(v - value, 3) + 0.0:+.3f}" for v in others)
    print(f"{measure:<38}{value:>8.3f}" + "".join(f"{v:>8.3f}" for v in others)
          + f"{differences:>33}")

# %% [markdown]
# The independently trained 1×1 head is not a copy of `gap_cnn`, and what
# moves is not the same everywhere. **What does not differ**: all three
# classify every test scene correctly; MaxBoxAccV2 stays within 0.003
# (0.299 against 0.296), all three with CAM's failure of notebook 04, boxes
# that reach IoU 0.5 for about one scene in ten (0.091 to 0.118); and
# every map is hot on the head (0.86 to 0.88) and lukewarm on the rest of
# the creature (0.35). **What differs**: PxAP by up to 0.018 (0.364
# against 0.346); the best box accuracies at IoU 0.3 and 0.5 by up to
# 0.027, in opposite directions, so that their mean, MaxBoxAccV2, hardly
# moves; and above all the pointing game, 0.692 against 0.593 (+0.099):
# where exactly the single hottest pixel lands, just on the small head or
# just beside it, is what a new seed changes most. And the control moves
# about as far: the GAP head from seed 1 differs from `gap_cnn` in the same
# measures, by amounts of the same size (pointing game +0.068, PxAP
# +0.012, IoU 0.3 and 0.5 -0.026 and +0.027). So these differences come
# with the seed; none of them points at the head.
#
# A direct comparison asks, scene by scene, whether two models' maps have
# the same shape: the Pearson correlation of the two 16×16 maps. It ignores
# scale and offset, so normalising first changes nothing. As a yardstick we
# also correlate each `gap_cnn` map with the other model's map of the
# *next* scene: what two maps of different scenes share just by being
# class maps. And how alike are the weights themselves? The cosine
# similarity of the head's 256 weights says it.

# %%
# NBVAL_CHECK_OUTPUT
def correlation(a, b):
    """Pearson correlation of each pair of maps ``[N, h, w]``: one number per map, ``[N]``."""
    a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
    b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))


other = torch.ones(len(test), len(CLASS_NAMES), dtype=torch.bool)
other[rows, test.labels] = False  # [1000, 4]: the three classes that are not in the scene
print(f"{'against gap_cnn':<22}{'true class':>18}{'other 3 classes':>18}{'next scene':>12}"
      f"{'head weights':>14}")
print(f"{'':<22}{'mean / lowest':>18}{'mean / lowest':>18}{'mean':>12}{'cosine':>14}")
for name in list(models)[1:]:  # conv_head_cnn (the same run) too
    same = correlation(true_maps["gap_cnn"], true_maps[name])
    absent = correlation(all_maps["gap_cnn"][other], all_maps[name][other])
    yardstick = correlation(true_maps["gap_cnn"], true_maps[name].roll(1, dims=0))
    heads = [conv_weights(model)[1] for model in (gap_model, models[name])]
    print(f"{name:<22}{f'{same.mean():.3f} / {same.min():.3f}':>18}"
          f"{f'{absent.mean():.3f} / {absent.min():.3f}':>18}{yardstick.mean():>12.3f}"
          f"{F.cosine_similarity(*heads, dim=0):>14.3f}")

# %% [markdown]
# The maps of `conv_head_cnn`, the same run, correlate perfectly with
# `gap_cnn`'s (1.000, even in the worst scene), and so do its head
# weights. The independent runs' head weights have nothing in common with
# `gap_cnn`'s (cosine similarity close to 0: each run numbers its 64
# channels its own way), yet their maps of
# the true class correlate 0.975 on average, far above the 0.03 of maps of
# different scenes; the worst scene still reaches 0.86 (0.88 for the
# control). The maps of the
# absent classes agree less (0.95 on average, 0.55 to 0.62 at worst).
# Again the 1×1 head from seed 3 and the GAP head from seed 1 are equally
# far from `gap_cnn`: independently trained networks, built differently
# inside, that find the same evidence, whichever head reads it out.

# %% [markdown]
# ### 6. Independently trained heads, in pictures
#
# One scene of each class, with the true class's map of `gap_cnn` (top),
# of the independent 1×1 head (middle) and of the control (bottom),
# normalised to [0, 1] and laid over the image, and the creature's outline
# in white.

# %%
# first scene of each class
examples = [int((test.labels == c).nonzero()[0]) for c in range(len(CLASS_NAMES))]
shown = ("gap_cnn", "conv_head_cnn_seed3", "gap_cnn_seed1")
fig, axes = plt.subplots(3, 4, figsize=(FIG_WIDTH, 7.4), layout="constrained")
for c, i in enumerate(examples):
    for r, name in enumerate(shown):
        title = tr("{model}\nscene {index} ({name})").format(
            model=name, index=i, name=class_label(CLASS_NAMES[c]))
        overlay_map(test.images[i], true_maps[name][i], axes[r, c], title=title, colorbar=False)
        axes[r, c].contour(test.masks[i].float(), levels=[0.5], colors="white", linewidths=0.8)
add_colorbar(list(axes.flat))
plt.show()

# %% [markdown]
# Column by column the three maps are hot on the same head and fade over
# the body in much the same way, the under-coverage that notebook 04
# diagnosed and notebook 05 tried to cure; they differ in detail, in how
# far the warm region spreads and where exactly its peak sits, which is
# what moved the pointing game and PxAP in section 5. The differences are
# of one kind for both: a new seed makes them, whether the head pools
# before or after it weighs.

# %% [markdown]
# ### 7. A classifier that slides
#
# One more consequence of reading the maps off the head: `conv_head_cnn` is
# *fully convolutional*. Every value $M_c(x, y)$ is the classifier's verdict
# on one window of the image (the receptive field around that position), so
# on a larger image the head simply returns a larger map, with no change to
# the model. We put two test scenes side by side, a red creature and a blue
# one, into one 64×128 image, and read the red and the blue maps off the
# head in one forward pass.

# %%
# [1, 3, 64, 128]
wide = torch.cat([test.images[examples[0]], test.images[examples[2]]], dim=2)[None]
with torch.no_grad():
    wide_maps = conv_model.class_maps(wide)[0]  # [4, 16, 32]
print("image", list(wide.shape), "-> class maps", list(wide_maps.shape))

fig, axes = plt.subplots(1, 3, figsize=(FIG_WIDTH, 1.95), layout="constrained")
show_image(wide[0], axes[0], title=tr("two scenes, one image"))
for ax, c in zip(axes[1:], (0, 2)):
    map_title = tr("{name} map").format(name=class_label(CLASS_NAMES[c]))
    overlay_map(wide[0], wide_maps[c], ax, title=map_title, colorbar=False)
add_colorbar(list(axes[1:]))
plt.show()

# %% [markdown]
# The red map lights up the red creature's head, the blue map the blue one's:
# a classifier trained on single scenes became a coarse detector for free.
# (`gap_cnn` with CAM could do the same, through a hook; the point is that
# here the map is the head's ordinary output. The score of such a wide
# image, the average over both halves, would mix the two creatures: the map
# is more informative than the score.)

# %% [markdown]
# ## Discussion
#
# - **Where the map comes from is a choice of order.** Weigh the channels,
#   then pool, and the class map is an intermediate result; pool, then
#   weigh, and it has to be reconstructed. The scores, the weights, the
#   parameter count and the gradients are the same. What differs is what is
#   at hand: the 1×1 head hands the maps to any code that runs the model,
#   including the training loss. That is why ACoL (notebook 05) builds its
#   classifiers as 1×1-convolution heads: it must erase the feature maps
#   where classifier A's map is hot *during* the forward pass of training,
#   and the map is right there.
# - **The equivalence is exact only for a linear head.** A bias keeps it; a
#   ReLU between convolution and pooling (SqueezeNet's choice) or max
#   pooling breaks it (exercise 4). With such heads, the maps read off the
#   head are still informative, but no longer the exact spread of the score.
# - **Measure what you compare.** `gap_cnn` and `conv_head_cnn` agree map
#   for map because they are the same run up to rounding. Without the
#   weight comparison one might credit the agreement to the heads, or read
#   it as evidence that CAM is stable across trainings; it shows neither.
#   A comparison that shares seeds and data order compares one run with
#   itself. The independent runs answer the real questions: the head
#   changes nothing that a new seed does not change as much, and a new seed
#   leaves accuracy and MaxBoxAccV2 in place but moves the pointing game by
#   up to 0.099. One run per method is one sample.
# - **The map is coarse whatever the head.** 16×16 positions for a 64×64
#   image; the head does not change the resolution, the backbone's strides
#   do.
#
# ## Summary
#
# - A 1×1 convolution is one linear layer applied at every position: weight
#   `[C, K, 1, 1]`, $KC$ parameters ($+C$ with bias), channels mixed,
#   positions kept.
# - A bias-free 1×1 convolution to one channel per class, then GAP, is the
#   linear class-map head of CAM and ACoL (ACoL's Proposition 1). Its output
#   before GAP is the class activation map
#   $M_c(x, y) = \sum_k w_k^c f_k(x, y)$: `model.class_maps`, no hooks.
#   Network in Network introduced the one-map-per-class layout, but its
#   released CIFAR-10 model puts a ReLU before the GAP, which breaks the
#   exact identity.
# - GAP then linear and 1×1 convolution then GAP are the same function with
#   the same weights: on a tiny tensor exactly, and on the course's models
#   to float32 rounding, logits and maps alike.
# - The shipped `gap_cnn` and `conv_head_cnn` give the same localization
#   numbers to within a few thousandths and maps that correlate almost
#   perfectly, because they started from the same weights and, computing
#   the same function, took the same steps.
# - A 1×1 head trained from another seed (`conv_head_cnn_seed3`) has
#   unrelated weights, yet its maps correlate 0.975 with `gap_cnn`'s; the
#   same accuracy and MaxBoxAccV2 (within 0.003), a PxAP 0.018 and a
#   pointing game 0.099 higher. A GAP head from another seed differs from
#   `gap_cnn` as much: the differences come with the seed, not the head.

# %% [markdown]
# ## The course in one page
#
# Six notebooks, one small world in which every claim could be checked
# against the creature's mask, box and head.
#
# | notebook | what we learnt | what we measured |
# |---|---|---|
# | **01 · Why explain a network?** | Accuracy says *how often* a model is right, not *why*. The feature maps keep *where*; the head decides *what*. | A model trained with a corner glyph that gives the class away scored perfectly with the glyph and far worse on the same scenes without it; its class map pointed at the glyph. |
# | **02 · GAP and CAM** | With GAP and one linear layer, the score is the average of a class map $M_c = \sum_k w_k^c f_k$, two lines of `einsum`. GAP heads have far fewer parameters than flatten + fully connected ones. Normalise before upsampling. | CAM by hand equalled the library's; the map of each class on the same scene. |
# | **03 · Grad-CAM** | Weigh each feature map by its average gradient and keep the positive part: maps for any head and any layer, no change to the model. | On a GAP model Grad-CAM is CAM up to a positive constant; on two-creature scenes the maps point at the right creature (pointing game); counterfactual maps find what argues against a class. |
# | **04 · Weak supervision** | Image labels alone give boxes and masks: threshold the map, take components, draw boxes. Measure fairly: MaxBoxAccV2 and PxAP choose the threshold over the whole set, at several IoU levels. | CAM covers the discriminative head and little of the body (in this notebook again: mean map 0.86 on the head, 0.35 on the rest of the creature), so boxes rarely reach IoU 0.5. |
# | **05 · ACoL** | Erase where classifier A's map is hot, and classifier B must find the rest of the object; fuse the two maps. | The fused map spreads over more of the body, and over more of the background too; whether that is a net gain depends on the erase threshold and on the measure, as Choe et al. found on real benchmarks. |
# | **06 · The 1×1 convolution** | 1×1 convolution then GAP is GAP then linear, with the class maps as the head's output. | Logits and maps equal to rounding; two shipped models nearly identical, because of a shared seed; independently trained heads differ by what a new seed changes, whichever the head. |
#
# Three habits ran through all six: **derive by hand, then check the
# library against it**; **turn pictures into numbers** (pointing game,
# MaxBoxAccV2, PxAP, mean map by region) measured against ground truth; and
# **ask what a number can and cannot show** (a test set that shares a
# shortcut, a threshold tuned on the test set, two models that share a
# seed).
#
# ## What to read next
#
# The course stopped at CAM, Grad-CAM and ACoL. The field did not:
#
# - **Grad-CAM++** (Chattopadhay, Sarkar, Howlader, Balasubramanian, WACV
#   2018, arXiv:1710.11063). Grad-CAM averages the gradient over positions,
#   so a large object or several instances of a class get diluted weights.
#   Grad-CAM++ weighs each position's *positive* gradient, with
#   coefficients from higher-order derivatives, and covers multiple
#   instances and whole objects better.
# - **Score-CAM** (Wang, Wang, Du, Yang, Zhang, Ding, Mardziel, Hu, CVPR
#   Workshops 2020, arXiv:1910.01279). No gradients at all: each feature map,
#   upsampled and normalised, masks the input image, and the increase in
#   the class score under that mask is the channel's weight. One forward
#   pass per channel: slower, and free of noisy or saturated gradients.
# - **LayerCAM** (Jiang, Zhang, Hou, Cheng, Wei, IEEE Transactions on Image
#   Processing 2021). Weigh every *position* by its own positive gradient
#   instead of one weight per channel. That makes maps from early,
#   high-resolution layers usable (notebook 03's layer chooser showed why
#   Grad-CAM's are not) and lets them be fused across layers for finer
#   localization.
# - **Sanity Checks for Saliency Maps** (Adebayo, Gilmer, Muelly,
#   Goodfellow, Hardt, Kim, NeurIPS 2018, arXiv:1810.03292). Randomise the
#   model's weights, layer by layer from the top, or train it on random
#   labels: a map that hardly changes cannot be explaining the model. Some
#   popular methods (guided backpropagation among them) fail; Grad-CAM
#   passes. Read it before trusting any new map.
# - **Evaluating WSOL Methods Right** (Choe, Oh, Lee, Chun, Akata, Shim,
#   CVPR 2020, arXiv:2001.07437). The source of MaxBoxAccV2 and PxAP, and of
#   the sobering finding behind notebook 05. With every method's
#   hyperparameters tuned on a small held-out split with full supervision
#   (`train-fullsup`) and the map threshold marginalised out, their main
#   table (MaxBoxAccV2 on ImageNet and CUB, PxAP on OpenImages, each the
#   mean over VGG, Inception and ResNet backbones) puts CAM at 62.4 / 61.1
#   / 60.0 (total 61.2) and ACoL at 61.2 / 60.0 / 56.3 (total 59.2, 2.0
#   below CAM, the lowest of the five methods they re-ran). A few-shot
#   learning baseline, trained on the held-out fully supervised split
#   itself, totals 71.9, ahead of every WSOL method; a map that is just a
#   Gaussian centred on the image scores 52.3.
#
# Then leave the synthetic world: `course_utils.pretrained` and notebook 03
# show the same tools on a real photograph with a torchvision ResNet where
# its weights are available. Libraries such as pytorch-grad-cam and
# torchcam implement most of the methods above, and now you can read them.

# %% [markdown]
# ## Exercises
#
# Each exercise ends with a check: run the cell and it says what is right,
# or what was expected. The answers start as `None`, so the checks say "Not
# yet" until you fill them in. The worked solutions are in a notebook of
# their own, [solutions/06_one_by_one_conv_solutions.ipynb](solutions/06_one_by_one_conv_solutions.ipynb),
# so that no answer shows under its exercise: try first.
#
# **Exercise 1: count the head.** SqueezeNet's classifier is a 1×1
# convolution from 512 channels to the 1,000 ImageNet classes, applied to
# feature maps of 13×13 positions. How many parameters does it have without
# a bias, and with one? (Work it out, then check with `nn.Conv2d`.)

# %%
without_bias = None  # a whole number
with_bias = None
checks.check_head_parameters(without_bias, with_bias, in_channels=512, num_classes=1000)

# %% [markdown]
# **Exercise 2: the other direction.** Section 3 turned a 1×1 convolution's
# weight into a linear layer's. Now turn `gap_cnn`'s linear weight,
# `gap_model.fc.weight` (`[4, 64]`), into the weight of a 1×1 convolution
# that a `ConvHeadCNN` could use as its `classifier`. The check plugs your
# tensor into a `ConvHeadCNN` with `gap_cnn`'s backbone and compares logits.

# %%
conv_weight = None  # a tensor made from gap_model.fc.weight
checks.check_conv_weight(conv_weight)

# %% [markdown]
# **Exercise 3: a class map by hand.** A toy backbone has produced three
# feature maps of 3×3 positions, `checks.TOY_FEATURES` (`[3, 3, 3]`:
# channel, row, column), and a 1×1 head has the weights
# `checks.TOY_WEIGHTS` (`[2, 3]`: class, channel). Printed below. With pen
# and paper: what is the class map $M_1$ (class 1, the second row of the
# weights) at row 2, column 0? And what is the class score $S_1$ after GAP?

# %%
print("features f_k, one 3x3 map per channel:\n", checks.TOY_FEATURES)
print("weights w_k^c, one row per class:\n", checks.TOY_WEIGHTS)
map_value = None  # M_1 at row 2, column 0
score = None  # S_1
checks.check_toy_class_map(map_value, score)

# %% [markdown]
# **Exercise 4: which heads are GAP then linear?** For every input, which of
# these heads compute the same scores as GAP followed by a linear layer
# (with matching weights, and a bias where the head has one)? Answer with
# the letters, e.g. `"ac"`. If unsure, try each on a random tensor.

# %%
for letter, head in checks.HEADS.items():
    print(f"({letter}) {head}")
answer = None  # letters, e.g. "ac"
checks.check_equivalent_heads(answer)

# %% [markdown]
# ### Open exercises
#
# No self-check for these: they are questions to explore, each a step
# beyond the course.
#
# 1. **How wide is the seed spread?** Section 5 compares one other seed of
#    each head, and the pointing game moved most. Train more seeds of
#    either head, e.g.
#    `config = dataclasses.replace(COURSE_MODELS["conv_head_cnn"], seed=4)`,
#    then `model = build_model(config)` and `train(model, scenes, config)`
#    from `course_utils.train`, with the training scenes
#    `make_scenes(config.n_train, TRAIN_SEED)` (`make_scenes` from
#    `course_utils.scenes`, `TRAIN_SEED` from `course_utils.train`). Is the
#    gap between the two heads' pointing-game scores larger than the spread
#    between seeds of one head?
# 2. **A sanity check.** Following Adebayo et al., replace
#    `conv_model.classifier.weight` with random numbers of the same scale,
#    then also the last backbone block's, and watch the maps and the
#    correlation with the trained maps. A map that stays the same would be
#    explaining the architecture, not the training.
# 3. **Score-CAM on `gap_cnn`.** Upsample each of the 64 feature maps of a
#    scene, normalise it, multiply the image by it, and weigh the channel by
#    the softmax score of the class on that masked image. Compare the map
#    with CAM using the measures of section 5.
# 4. **SqueezeNet's head.** Add a ReLU between `classifier` and the
#    pooling, train, and compare: do the maps read before the ReLU still
#    match the score, and do they localise better or worse?
