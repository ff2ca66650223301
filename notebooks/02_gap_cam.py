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
# # 02 · Global average pooling and CAM
#
# A classifier built as *backbone, global average pooling, one linear layer*
# can say, for free, where in the image each class score comes from. This
# notebook derives that map, the **class activation map** (CAM), computes it
# by hand in one line of `einsum`, checks it against the course library, and
# then looks hard at what it shows and what it cannot show.
#
# ## Learning goals
#
# After this notebook you can
#
# - compute average and max pooling by hand, and say what each of them
#   rewards;
# - explain the Network-in-Network idea (replace flatten + fully-connected
#   layers by global average pooling, GAP), count the parameters of both
#   heads, and measure what the change does to overfitting;
# - derive the class activation map $M_c(x, y) = \sum_k w_k^c f_k(x, y)$ from
#   a GAP + linear head, compute it with `torch.einsum`, and show that its
#   mean *is* the class score;
# - upsample a coarse map to the image, choose an interpolation, and explain
#   why normalising before or after upsampling changes the result;
# - read the map of *any* class, not only the predicted one, and tell
#   evidence *against* a class from the mere absence of evidence for it;
# - measure where the map puts its weight, and state CAM's two limits.
#
# ## Contents
#
# **Theory**
#
# 1. Average and max pooling
# 2. Two heads: flatten + fully connected, or global average pooling (Network
#    in Network, and CAM's GAP + linear)
# 3. The class activation map, derived
# 4. From a 16x16 map to a 64x64 image: upsampling and normalisation
# 5. What CAM needs
#
# **Practical**
#
# 1. Pooling on a small tensor
# 2. The two heads: parameters, and overfitting on a small training set
# 3. CAM by hand, then with `course_utils`
# 4. Upsampling, and the order of normalising
# 5. The map of every class: a dropdown, and the raw signed map
# 6. Where is the map? Head, body, background
# 7. The limits, met in code
#
# **Discussion**: summary, then exercises with self-checks.
#
# ## References
#
# - M. Lin, Q. Chen, S. Yan. *Network In Network.* ICLR 2014.
#   [arXiv:1312.4400](https://arxiv.org/abs/1312.4400). Section 3.2 introduces
#   global average pooling as the classifier.
# - B. Zhou, A. Khosla, A. Lapedriza, A. Oliva, A. Torralba. *Learning Deep
#   Features for Discriminative Localization.* CVPR 2016.
#   [arXiv:1512.04150](https://arxiv.org/abs/1512.04150). The CAM paper;
#   section 2 is the derivation below.
# - J. Howard, S. Gugger. *Deep Learning for Coders with fastai and PyTorch*,
#   chapter 18, "CNN Interpretation with CAM"
#   ([fastbook, 18_CAM.ipynb](https://github.com/fastai/fastbook/blob/master/18_CAM.ipynb)).
#   A good second reading: the same computation on a real photo, with hooks.

# %% [markdown]
# ## Theory
#
# ### 1. Average and max pooling
#
# A convolutional backbone turns an image into $K$ **feature maps**
# $f_k(x, y)$, one per channel $k$, each a grid of $h \times w$ positions.
# Pooling summarises a window $R$ of positions by one number:
#
# $$
# \text{average:}\quad \frac{1}{|R|} \sum_{(x,y) \in R} f_k(x, y),
# \qquad\qquad
# \text{max:}\quad \max_{(x,y) \in R} f_k(x, y).
# $$
#
# With small windows (2x2, stride 2) pooling halves the resolution, as inside
# our backbone. With one window covering the whole map it becomes **global**
# pooling: each channel is reduced to a single number, and *where* the
# channel responded is forgotten. Global average pooling (GAP) gives
#
# $$
# F_k = \frac{1}{hw} \sum_{x,y} f_k(x, y).
# $$
#
# The two summaries reward different things. Max pooling reports the single
# strongest response and ignores the rest; average pooling reports how much
# response there is in total, so a channel that fires weakly over a large
# area can outscore one that fires strongly at a single spot. Zhou et al.
# chose GAP for this reason: it should push the network to find the *whole
# extent* of an object, not just its single most telling spot. We will test
# that claim on our creatures in section 6 of the practical.
#
# ### 2. Two heads: flatten + fully connected, or GAP + linear
#
# The **head** turns the feature maps into one score (logit) $S_c$ per class
# $c$. (We write $S_c$ as the CAM paper does; notebook 01 called it $z_c$,
# and notebook 03 will write $y^c$ as the Grad-CAM paper does. Likewise the
# feature maps are $f_k(x, y)$ here, as in the CAM paper, and become
# $A^k_{ij}$ in notebook 03.) The classic head (AlexNet, VGG) **flattens** the maps into one long
# vector and feeds it to fully-connected layers. Every position of every
# channel gets its own weights: a red head at the top left and a red head at
# the bottom right are different inputs, and the head has to learn both.
# Our `FlattenCNN` first max-pools the $64$ maps of $16 \times 16$ to
# $8 \times 8$, then has a hidden layer of $128$ units: its first layer alone
# has $64 \cdot 8 \cdot 8 \cdot 128$ weights.
#
# **Network in Network** (NIN; Lin, Chen & Yan 2014) dropped the fully-connected
# layers altogether. Its last layer is an *mlpconv* layer (a convolution
# followed by $1 \times 1$ convolutions) whose last $1 \times 1$ convolution
# has **one output channel per class**. Global average pooling turns each of
# these maps into one number, and that vector goes, in the paper's words,
# "directly into the softmax layer": there is no linear layer after the
# pooling, the average of channel $c$ *is* the score of class $c$. (In the
# reference models released with the paper, such as the Caffe model for
# CIFAR-10, that last $1 \times 1$ convolution is followed by a ReLU before
# the pooling, so those scores are never negative.) Lin et al. argue for it
# three ways: because each map belongs to one class, "the feature maps can
# be easily interpreted as categories confidence maps"; GAP has no
# parameters, so "overfitting is avoided at this layer"; and it "sums out
# the spatial information", so it is more robust to where the object
# stands.
#
# The CAM paper (Zhou et al. 2016) keeps the pooling but moves the class
# weights behind it: the last convolutional layer keeps its $K$ channels,
# GAP reduces each to $F_k$, and **one linear layer** makes the scores,
#
# $$
# S_c = \sum_k w_k^c F_k \qquad (\text{plus a bias } b_c, \text{ which our models leave out}).
# $$
#
# That is `gap_cnn`'s head: $K \times C$ weights, here $64 \times 4$, and
# GAP still has none. The price of either head: the backbone itself must now
# produce maps whose *averages* tell the classes apart. Section 3 shows
# that this linear head is exactly what makes the class map exact. With
# NIN's ReLU between the class maps and the pooling it would not be: the
# derivation needs nothing nonlinear between the weights and the average.
# Notebook 06 turns the head around, a $1 \times 1$ convolution with one
# channel per class and then GAP, NIN's head without the ReLU, and shows
# that it is the same classifier as GAP then linear, with NIN's confidence
# maps being exactly the CAMs.
#
# ### 3. The class activation map, derived
#
# Put the two steps of the GAP head together and exchange the sums (both are
# finite sums, so the order does not matter):
#
# $$
# S_c = \sum_k w_k^c \, \frac{1}{hw} \sum_{x,y} f_k(x, y)
#     = \frac{1}{hw} \sum_{x,y} \underbrace{\sum_k w_k^c f_k(x, y)}_{M_c(x, y)} .
# $$
#
# The **class activation map** of class $c$ is
#
# $$
# M_c(x, y) = \sum_k w_k^c f_k(x, y),
# $$
#
# a weighted sum of the feature maps, with the weights of class $c$'s row of
# the linear layer. It has the feature maps' resolution ($16 \times 16$ for
# us), and its **mean over positions is exactly the class score**:
# $S_c = \frac{1}{hw} \sum_{x,y} M_c(x, y)$. So $M_c(x, y)$ is position
# $(x, y)$'s share of the evidence for class $c$: where it is high, the
# network found what makes it say $c$. (Zhou et al. write the same map
# without the $\frac{1}{hw}$, which rescales the whole map and changes
# nothing else. A bias $b_c$ would add the same number at every position,
# so CAM leaves it out.)
#
# Two consequences are worth stating now:
#
# - There is one map **per class**, all built from the same feature maps
#   with different weights. We can ask for the map of a class the network
#   did *not* predict.
# - Nothing needs a gradient or a second network: one forward pass, one
#   weighted sum.
#
# ### 4. From a 16x16 map to a 64x64 image
#
# Each cell of the map stands for a $4 \times 4$-pixel block of the image.
# To lay the map over the image it is **upsampled**:
#
# - **nearest**: each cell becomes a $4 \times 4$ block. Honest about the
#   map's true resolution, but blocky.
# - **bilinear**: linear interpolation between the cells' centres. Smooth,
#   and never outside the range of the four cells it mixes. The CAM and
#   Grad-CAM papers use it, and so does the course.
# - **bicubic**: a cubic through four cells in each direction. Smoother
#   still, but it **overshoots**: next to a sharp peak it goes above the
#   peak and below the lowest value.
#
# Maps are also **min-max normalised**, so that colours and thresholds mean
# "this fraction of the map's own range":
#
# $$
# \tilde M_c(x, y) = \frac{M_c(x, y) - \min M_c}{\max M_c - \min M_c} \in [0, 1].
# $$
#
# The order of the two steps matters. Normalise first, then upsample (what
# `course_utils.maps.to_image` does, clamping bicubic's overshoot back to
# $[0, 1]$), or upsample first, then normalise: then bicubic's overshoot
# becomes the new maximum and squeezes every other value down. A threshold
# such as "at least half of the peak", which notebook 04 uses to draw
# boxes, then cuts in a different place.
#
# ### 5. What CAM needs
#
# The derivation used two facts: GAP comes **right after** the feature maps,
# and **one linear layer** comes right after GAP. Both steps are linear, so
# they commute. Break either and there is no $w_k^c$ that turns
# $f_k(x, y)$ into the score:
#
# - a flatten + fully-connected head weighs every position differently, and
#   its ReLU is not linear;
# - an earlier layer's feature maps reach the score through more
#   convolutions, batch norm and ReLUs, not through GAP and one linear
#   layer. CAM explains **only the last convolutional layer**.
#
# Grad-CAM (notebook 03) lifts both limits by reading the weights off
# gradients instead of off the linear layer.

# %% [markdown]
# ## Practical
#
# Everything below runs on the CPU in seconds. The models and test scenes
# are the course's shipped ones (see `data/manifest.json`): `gap_cnn` and
# `flatten_cnn` share the same backbone architecture and were trained the
# same way (6000 scenes, 6 epochs); only their heads differ.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display
from torch import nn

from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_manifest, load_model, load_split
from course_utils.language import tr, tr_noop
from course_utils.localization import mean_map_by_region
from course_utils.maps import min_max_normalise, to_image, upsample
from course_utils.models import FlattenCNN
from course_utils.plots import (
    FIG_WIDTH,
    LABEL_SIZE,
    SIGNED_CMAP,
    TITLE_SIZE,
    add_colorbar,
    class_label,
    overlay_map,
    scene_grid,
    show_image,
    show_signed_map,
)
from course_utils.scenes import CLASS_NAMES, make_scenes
from course_utils.widgets import ClassExplorer

torch.manual_seed(0)
gap_cnn = load_model("gap_cnn")          # backbone -> GAP -> bias-free linear layer `fc`
# backbone -> max-pool, flatten, Linear, ReLU, Dropout, Linear
flatten_cnn = load_model("flatten_cnn")
test = load_split("test")                # 1000 frozen test scenes
print(f"{len(test)} test scenes, images {tuple(test.images.shape[1:])}, classes {CLASS_NAMES}")

# %% [markdown]
# ### 1. Pooling on a small tensor
#
# Two channels of a $4 \times 4$ feature map. Channel 0, "spot", fires
# strongly at one position; channel 1, "patch", fires moderately over the
# whole lower half. Which channel is "more present"? Pool them with 2x2
# windows (stride 2), then globally.

# %%
# NBVAL_CHECK_OUTPUT
spot = torch.zeros(4, 4)
spot[1, 2] = 8.0
patch = torch.zeros(4, 4)
patch[2:, :] = 3.0
maps = torch.stack([spot, patch])[None]  # [N=1, K=2, 4, 4]

print("feature maps:\n", maps[0], "\n")
print("2x2 average pooling:\n", F.avg_pool2d(maps, 2)[0], "\n")
print("2x2 max pooling:\n", F.max_pool2d(maps, 2)[0], "\n")
gap = nn.AdaptiveAvgPool2d(1)  # the same module as gap_cnn.pool
print("global average pooling (GAP):", gap(maps).flatten().tolist())
print("global max pooling (GMP):    ", F.adaptive_max_pool2d(maps, 1).flatten().tolist())

# %% [markdown]
# The two global poolings rank the channels in opposite order. Global max
# pooling says "spot" (8 against 3): one strong response is enough. GAP says
# "patch" (1.5 against 0.5): it counts every position that responds. That is
# the CAM paper's argument for GAP: to score high, a channel should respond
# over the *whole* object. Whether our network takes the hint is measured in
# section 6.

# %% [markdown]
# ### 2. The two heads
#
# #### Parameters
#
# Both models have the same backbone; count what sits after it.

# %%
# NBVAL_CHECK_OUTPUT
def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in a module."""
    return sum(p.numel() for p in module.parameters())


print(f"{'backbone (either model)':32} {count_parameters(gap_cnn.features):>9,}")
print(f"{'GAP head: gap_cnn.fc':32} {count_parameters(gap_cnn.fc):>9,}   "
      f"weight {tuple(gap_cnn.fc.weight.shape)}")
print(f"{'flatten head: flatten_cnn.head':32} {count_parameters(flatten_cnn.head):>9,}")
for name, p in flatten_cnn.head.named_parameters():
    print(f"{'    head.' + name:32} {p.numel():>9,}   {tuple(p.shape)}")
ratio = count_parameters(flatten_cnn.head) / count_parameters(gap_cnn.fc)
print(f"the flatten head has {ratio:,.0f} times more parameters than the GAP head")

# %% [markdown]
# The GAP head is $64 \times 4 = 256$ numbers. The flatten head is more than
# two thousand times bigger, and almost twenty times bigger than the whole
# backbone: nearly all of `flatten_cnn`'s parameters sit in its head.
#
# #### Overfitting
#
# Does all that capacity overfit? The manifest records the shipped models'
# accuracies:

# %%
# NBVAL_CHECK_OUTPUT
manifest = load_manifest()["models"]
for name in ("gap_cnn", "flatten_cnn"):
    entry = manifest[name]
    print(f"{name:12} trained on {entry['config']['n_train']} scenes: "
          f"train accuracy {entry['train_accuracy']:.3f}, "
          f"test accuracy {entry['test_accuracy']:.3f}")

# %% [markdown]
# Nothing to see: with 6000 training scenes both heads are perfect on
# scenes they have never seen. Overfitting shows when data is scarce, so we
# make it scarce, and we make the comparison fair:
#
# - **one fixed backbone** for both heads: the trained backbone of
#   `flatten_cnn` (trained together with a flatten head, so if anything it
#   favours that head). Only the heads are trained, so any difference comes
#   from the head;
# - **small training sets** of 25 to 400 fresh scenes (a seed the test set
#   never used), and the 1000 test scenes to measure;
# - the **same training** for both: Adam, learning rate 0.01, 100
#   full-batch steps, fresh heads initialised with the same seed.
#
# The backbone runs once; its feature maps are kept. The heads' first steps
# (GAP; max-pool and flatten) have no parameters, so they are applied once
# as well, and training only touches the layers that learn. That makes the
# whole experiment take a few seconds.

# %%
n_sizes = (25, 50, 100, 200, 400)
small = make_scenes(max(n_sizes), seed=5)  # fresh training scenes; the test split uses seed 1001

with torch.no_grad():  # the backbone is fixed: run it once
    backbone = flatten_cnn.features
    features_train = backbone(small.images)
    # 250 test images at a time: the first layers' activations of all 1,000 at once take ~0.5 GB
    features_test = torch.cat([backbone(chunk) for chunk in test.images.split(250)])

# The parameter-free first steps of each head, applied once.
head_inputs = {
    "GAP + linear": lambda f: f.mean(dim=(2, 3)),                       # [N, 64]
    "flatten + FC": lambda f: F.max_pool2d(f, 2).flatten(1),            # [N, 64 * 8 * 8]
}


def new_head(kind: str) -> nn.Module:
    """A freshly initialised copy of the learning part of each model's head."""
    torch.manual_seed(0)
    if kind == "GAP + linear":
        return nn.Linear(64, 4, bias=False)                       # = GapCNN.fc
    return nn.Sequential(*list(FlattenCNN().head.children())[2:])  # Linear, ReLU, Dropout, Linear


def fit(
    head: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 100, lr: float = 1e-2
) -> nn.Module:
    """Full-batch Adam on fixed inputs; returns the head in eval mode (dropout off).

    Adam's update written out, the same rule as torch.optim.Adam: the first
    use of torch.optim imports a compiler, which takes longer than this
    whole experiment.
    """
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    params = list(head.parameters())
    mean_grad = [torch.zeros_like(p) for p in params]     # running mean of the gradient
    mean_square = [torch.zeros_like(p) for p in params]   # running mean of its square
    head.train()
    for t in range(1, steps + 1):
        grads = torch.autograd.grad(F.cross_entropy(head(x), y), params)
        with torch.no_grad():
            for p, g, m, v in zip(params, grads, mean_grad, mean_square):
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p -= lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps)
    return head.eval()


@torch.no_grad()
def loss_and_accuracy(head: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = head(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


# These products are small: one thread computes them as fast as two, and cannot be stalled
# waiting for a second core that a busy machine (Binder, a classroom server) has given away.
threads = torch.get_num_threads()
torch.set_num_threads(1)
# kind -> one (n, train loss, train acc, test loss, test acc) per size
results = {kind: [] for kind in head_inputs}
try:
    for kind, to_input in head_inputs.items():
        x_test = to_input(features_test)
        for n in n_sizes:
            x_train, y_train = to_input(features_train[:n]), small.labels[:n]
            head = fit(new_head(kind), x_train, y_train)
            results[kind].append(
                (
                    n,
                    *loss_and_accuracy(head, x_train, y_train),
                    *loss_and_accuracy(head, x_test, test.labels),
                )
            )
finally:
    torch.set_num_threads(threads)

print(f"{'head':14} {'scenes':>6}   {'train loss':>10} {'test loss':>9}   "
      f"{'train acc':>9} {'test acc':>8}")
for kind, rows in results.items():
    for n, train_loss, train_acc, test_loss, test_acc in rows:
        print(f"{kind:14} {n:>6}   {train_loss:>10.4f} {test_loss:>9.3f}   "
              f"{train_acc:>9.3f} {test_acc:>8.3f}")

# %% [markdown]
# How do train and test compare as the training set grows? Overfitting is
# the gap between the solid (test) and dashed (train) lines.

# %%
fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.4), layout="constrained")
for (kind, rows), colour in zip(results.items(), ("tab:blue", "tab:orange")):
    n, train_loss, train_acc, test_loss, test_acc = map(list, zip(*rows))
    test_label = tr("{head}, test").format(head=kind)
    train_label = tr("{head}, train").format(head=kind)
    ax_acc.plot(n, test_acc, "o-", color=colour, label=test_label)
    ax_acc.plot(n, train_acc, "s--", color=colour, alpha=0.7, label=train_label)
    ax_loss.plot(n, test_loss, "o-", color=colour, label=test_label)
    ax_loss.plot(
        n,
        [max(v, 1e-5) for v in train_loss],
        "s--",
        color=colour,
        alpha=0.7,
        label=train_label,
    )
n_label = tr("training scenes (backbone fixed, only the head trained)")
for ax, ylabel in ((ax_acc, tr("accuracy")), (ax_loss, tr("cross-entropy (log scale)"))):
    ax.set_xscale("log")
    ax.set_xticks(n_sizes, [str(n) for n in n_sizes])
    ax.minorticks_off()
    ax.set_xlabel(n_label, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    ax.grid(alpha=0.3)
ax_loss.set_yscale("log")
ax_acc.legend(fontsize=LABEL_SIZE - 1, loc="lower right")
ax_acc.set_title(tr("accuracy"), fontsize=TITLE_SIZE)
ax_loss.set_title(tr("loss (train losses below 1e-5 drawn at 1e-5)"), fontsize=TITLE_SIZE)
plt.show()

# %% [markdown]
# What the numbers show:
#
# - The **flatten head memorises**. On every training set its training loss
#   is practically zero and its training accuracy perfect, yet trained on
#   25 or 50 scenes it gets a large share of the test scenes wrong, and its
#   test loss is far above its training loss: it is confidently wrong. It
#   needs hundreds of scenes to generalise; at 400 it has caught up with
#   the GAP head, and its test loss is even the lower of the two. That is
#   overfitting: half a million parameters fit any small training set
#   exactly, including the accidents of where each creature
#   happened to stand.
# - The **GAP head generalises from the first 25 scenes**: its train and
#   test losses are close and its test accuracy is near perfect at every
#   size. With 256 weights and no notion of position it cannot memorise
#   where each creature stood; it can only learn which channels mean which
#   class.
#
# Keep the set-up in mind when you quote this: the backbone was trained on
# 6000 scenes and is fixed, so this measures the heads alone, which is the
# claim Network in Network makes. Trained end to end on 6000 scenes, both
# models reach 100% (above).

# %% [markdown]
# ### 3. CAM by hand, then with `course_utils`
#
# Take one test scene, a blue creature. We need two things: the feature
# maps $f_k(x, y)$ of the last convolutional layer, `gap_cnn.features`, and
# the weights $w_k^c$, the rows of `gap_cnn.fc.weight` (shape `[classes, K]`).
#
# A **forward hook** hands us the feature maps during the model's own
# forward pass, so one pass gives both the features and the logits. The
# hook is removed in `finally`, so it cannot stay behind even if the forward
# pass fails. (`gap_cnn.features(x)` would give the same tensor; the hook is
# how you reach a layer buried inside a model you did not write.)

# %%
scene = 8
x = test.images[scene : scene + 1]  # [1, 3, 64, 64]

stored = {}
handle = gap_cnn.features.register_forward_hook(
    lambda module, inputs, output: stored.update(f=output.detach())
)
try:
    with torch.no_grad():
        logits = gap_cnn(x)  # [1, 4]
finally:
    handle.remove()
f = stored["f"]                      # [1, K, h, w]
w = gap_cnn.fc.weight.detach()       # [C, K]
print(
    "features f:", tuple(f.shape), "  weights w:", tuple(w.shape), "  logits:", tuple(logits.shape)
)

# %% [markdown]
# The map of **every** class at once is one `einsum`: for each class $c$
# and position $(x, y)$, sum over channels $k$ of $w_k^c f_k(x, y)$.

# %%
cam_by_hand = torch.einsum("ck,nkhw->nchw", w, f)  # [1, C, h, w]: M_c(x, y) for every class c
print("CAM, every class:", tuple(cam_by_hand.shape))

# %% [markdown]
# Now the library's `class_activation_map` for each class, and the two
# checks the derivation promises: the two computations agree, and **each
# map's mean is the class's logit**.

# %%
# NBVAL_CHECK_OUTPUT
# [1, C, h, w]
cam_library = torch.stack([class_activation_map(gap_cnn, x, target=c) for c in range(4)], dim=1)
print("largest |by hand - library|:", round((cam_by_hand - cam_library).abs().max().item(), 5))
print("the same maps (to float precision):", torch.allclose(cam_by_hand, cam_library, atol=1e-5))
print()
print(f"{'class':8} {'logit S_c':>10} {'mean of M_c':>12}")
for c, name in enumerate(CLASS_NAMES):
    print(f"{name:8} {logits[0, c].item():>10.3f} {cam_by_hand[0, c].mean().item():>12.3f}")
print(
    "largest |logit - map mean|:",
    round((logits[0] - cam_by_hand[0].mean(dim=(-2, -1))).abs().max().item(), 5),
)
print(
    "predicted class:",
    CLASS_NAMES[logits.argmax().item()],
    "  true class:",
    CLASS_NAMES[test.labels[scene].item()],
)

# %% [markdown]
# The map is a weighted sum of 64 feature maps. Does one channel carry the
# class, or many? Each term $w_k^c f_k$ has a mean, which is its share of
# the logit (the shares add up to $S_c$). Below: the shares sorted, then the
# three largest terms, the sum of all the others, and the total $M_c$.
# Orange is evidence *for* the class, purple *against* (a colour map whose
# hues are none of the class names), white is 0; each panel has its own
# colour scale (its largest absolute value, "peak", is in the title),
# because the total is many times larger than any one term.

# %%
c = logits.argmax().item()
terms = w[c][:, None, None] * f[0]                 # [K, h, w]: w_k^c f_k(x, y)
shares = terms.mean(dim=(-2, -1))                  # [K]: each channel's share of S_c
order = shares.argsort(descending=True)
needed = int((shares[order].cumsum(0) < 0.9 * shares.sum()).sum()) + 1
print(f"logit of {CLASS_NAMES[c]}: {shares.sum().item():.2f} = sum of 64 shares; "
      f"{int((shares > 0).sum())} channels add to it, {int((shares < 0).sum())} subtract")
print(f"the largest share is {shares.max().item():.2f}; "
      f"it takes the {needed} largest to reach 90% of the logit")
# the 16x16 cells that the head's pixels touch, and where each of those terms peaks
head_cells = F.max_pool2d(test.part_masks[scene][None, None].float(), 4)[0, 0]
near_head = F.max_pool2d(head_cells[None, None], 3, stride=1, padding=1)[0, 0] > 0
largest = terms[order[:needed]].flatten(1)         # [needed, h * w]
peaks = largest.amax(1)
on_head = largest[:, head_cells.flatten() > 0].amax(1) >= 0.9999 * peaks
near = largest[:, near_head.flatten()].amax(1) >= 0.9999 * peaks
print(f"of those {needed} terms, {int(on_head.sum())} peak on one of the "
      f"{int(head_cells.sum())} cells the head touches, {int(near.sum())} within one cell of them")

top = order[:3]
rest = terms.sum(0) - terms[top].sum(0)
panels = [(tr("channel {k}").format(k=k), terms[k]) for k in top.tolist()]
panels += [(tr("the other 61"), rest), (tr("sum: M_c"), terms.sum(0))]

fig, axes = plt.subplot_mosaic([["shares"] * 6, ["image", "t0", "t1", "t2", "rest", "sum"]],
                               figsize=(FIG_WIDTH, 4.6), height_ratios=(1, 1.1),
                               layout="constrained")
ax = axes["shares"]
ax.bar(range(64), shares[order],
       color=["tab:orange" if v > 0 else "tab:purple" for v in shares[order]])
ax.set_xlabel(tr("channels k, sorted by share"), fontsize=LABEL_SIZE)
ax.set_ylabel(tr("mean of $w_k^c f_k$"), fontsize=LABEL_SIZE)
ax.tick_params(labelsize=LABEL_SIZE)
ax.grid(alpha=0.3, axis="y")
show_image(test.images[scene], axes["image"], tr("image"))
for name, (title, panel) in zip(("t0", "t1", "t2", "rest", "sum"), panels):
    peak = panel.abs().max().item()
    axes[name].imshow(panel, cmap=SIGNED_CMAP, vmin=-peak, vmax=peak)
    panel_title = tr("{title}\nmean {mean:+.2f}, peak {peak:.0f}")
    axes[name].set_title(
        panel_title.format(title=title, mean=panel.mean(), peak=peak), fontsize=LABEL_SIZE - 1
    )
    axes[name].set_axis_off()
fig.suptitle(
    tr("the class activation map of class {name} (16x16), term by term").format(
        name=class_label(CLASS_NAMES[c])
    ),
    fontsize=TITLE_SIZE,
)
plt.show()

# %% [markdown]
# No single channel carries the class. The largest term is a small part of
# the logit, and it takes many channels together to reach most of it. But
# the terms agree on *where*: all 15 largest peak on the head or within one
# cell of it (9 of them on a cell the head itself touches), and their sum
# is a sharp map. CAM is this agreement made visible.

# %% [markdown]
# ### 4. Upsampling, and the order of normalising
#
# The map is $16 \times 16$; the image is $64 \times 64$. How much does the
# interpolation change what we see? Below, the map of the predicted class
# upsampled three ways, and underneath, one row of pixels through the map's
# peak: the dots are the 16 cells (normalised), the lines what each
# interpolation makes of them.

# %%
cam_map = cam_by_hand[0, c]                                   # [16, 16], raw
peak_row = int(cam_map.argmax()) // cam_map.shape[1]          # the map's row with the peak
pixel_row = 4 * peak_row + 2                                  # a pixel row through that cell
modes = (tr_noop("nearest"), tr_noop("bilinear"), tr_noop("bicubic"))  # shown through tr

fig = plt.figure(figsize=(FIG_WIDTH, 5.6), layout="constrained")
top_row, bottom_row = fig.subfigures(2, 1, height_ratios=(1.15, 1))
axes = top_row.subplots(1, 4)
show_image(test.images[scene], axes[0], tr("image"))
axes[0].axhline(pixel_row, color="white", linestyle=":", linewidth=1)
for ax, mode in zip(axes[1:], modes):
    overlay_map(test.images[scene], cam_map, ax, title=tr(mode), colorbar=False,
                upsample_mode=mode)
    ax.axhline(pixel_row, color="white", linestyle=":", linewidth=1)
add_colorbar(list(axes[1:]))

ax = bottom_row.subplots()
normalised = min_max_normalise(cam_map)
row_range = {}
for mode in modes:
    line = upsample(normalised, 64, mode)[pixel_row]          # not clamped: see the overshoot
    ax.plot(range(64), line, "-", label=tr(mode), linewidth=1.8)
    row_range[mode] = (line.min().item(), line.max().item())
ax.plot(
    [4 * i + 1.5 for i in range(16)],
    normalised[peak_row],
    "ko",
    markersize=4,
    label=tr("map cells (16x16)"),
)
ax.axhline(0, color="grey", linewidth=0.8)
ax.axhline(1, color="grey", linewidth=0.8)
ax.set_xlabel(
    tr("pixel column, along pixel row {row} (dotted line above)").format(row=pixel_row),
    fontsize=LABEL_SIZE,
)
ax.set_ylabel(tr("normalised map"), fontsize=LABEL_SIZE)
ax.tick_params(labelsize=LABEL_SIZE)
ax.legend(fontsize=LABEL_SIZE, ncols=4, loc="upper left")
ax.grid(alpha=0.3)
plt.show()
print(f"along pixel row {pixel_row}: the cells run from {normalised[peak_row].min().item():.2f} "
      f"to {normalised[peak_row].max().item():.2f}; "
      + "; ".join(f"{mode} from {low:.2f} to {high:.2f}"
                  for mode, (low, high) in row_range.items()))

# %% [markdown]
# Nearest shows the honest $4 \times 4$ blocks; bilinear and bicubic look
# alike at a glance. The profile shows the difference: next to the peak,
# bicubic rises above 1 (to 1.04, the line printed under the figure),
# higher than any cell, while bilinear stays between the cells it joins
# (at most 0.98: its pixels fall between cell centres, so it never quite
# reaches the peak cell's value). (On other maps bicubic also dips below 0; the next
# cell measures how far, over the whole test split.)
#
# That overshoot is what makes the order of normalising matter. Over all
# 1000 test scenes (each scene's map of its true class), compare
# **A: normalise → upsample** (then clamp to $[0, 1]$, as `to_image` does)
# with **B: upsample → normalise**. How far apart are the two maps, and
# how much of the image does each keep at a threshold $t$ (the fraction
# of its range that notebook 04 will use to draw boxes)? The table gives
# the mean area kept, in pixels, in each order, and the mean IoU (overlap
# divided by union) of the two masks: 1.000 means the same pixels.
# `B / A` is the ratio of the two areas.

# %%
# NBVAL_CHECK_OUTPUT
# [1000, 16, 16], each true class
cam_test = torch.cat([  # 250 scenes at a time, to keep the memory of the first layers small
    class_activation_map(gap_cnn, images, target=labels)
    for images, labels in zip(test.images.split(250), test.labels.split(250))
])
bicubic = upsample(min_max_normalise(cam_test), 64, "bicubic")              # not clamped
print(f"bicubic before clamping: values from {bicubic.min().item():.3f} "
      f"to {bicubic.max().item():.3f}; "
      f"{(bicubic.flatten(1).amax(1) > 1.01).float().mean().item():.3f} "
      "of the maps overshoot 1.01\n")
print(f"{'interpolation':13} {'max |A - B|':>11}   {'t':>4}   "
      f"{'area A':>7} {'area B':>7} {'B / A':>6}   {'IoU(A, B)':>9}")
for mode in modes:
    a = to_image(cam_test, 64, mode)                        # A: normalise, upsample, clamp
    b = min_max_normalise(upsample(cam_test, 64, mode))     # B: upsample, then normalise
    difference = (a - b).abs().max().item()
    for t in (0.2, 0.5, 0.8):
        mask_a, mask_b = (a >= t).flatten(1), (b >= t).flatten(1)
        iou = ((mask_a & mask_b).sum(1) / (mask_a | mask_b).sum(1)).mean().item()
        area_a, area_b = (mask.sum(1).float().mean().item() for mask in (mask_a, mask_b))
        first = f"{mode:13} {difference:>11.3f}" if t == 0.2 else " " * 25
        print(f"{first}   {t:>4}   {area_a:>7.1f} {area_b:>7.1f} {area_b / area_a:>6.2f}   "
              f"{iou:>9.3f}")

# %% [markdown]
# Read the table by interpolation:
#
# - **nearest**: the order makes no difference at all; it only copies
#   values.
# - **bilinear**, the course's default: the largest pixel difference is
#   about half of bicubic's, and at low thresholds the two orders keep
#   nearly the same pixels. At $t = 0.8$, though, the order matters as
#   much as with bicubic: order B keeps 14% more pixels than order A, and
#   the masks' IoU (0.849) is even a little lower than bicubic's (0.863).
#   Bilinear never leaves the range of the cells, but with
#   `align_corners=False` no pixel centre falls exactly on the peak cell's
#   centre, so the upsampled peak sits a little below 1; normalising
#   afterwards stretches it back up to 1, and everything near the top with
#   it.
# - **bicubic**: the largest pixel difference. Most maps overshoot (first
#   line), so in order B the overshoot becomes the new maximum and minimum:
#   a high threshold keeps fewer pixels (12% fewer at $t = 0.8$), a low one
#   more, and at $t = 0.5$ the two effects happen to cancel on average,
#   though not scene by scene (IoU 0.982).
#
# A box drawn at a fixed threshold changes with these masks. The course
# therefore fixes one convention everywhere, **normalise, then upsample
# bilinearly** (`to_image`'s defaults), and says so wherever a number
# depends on it.

# %% [markdown]
# ### 5. The map of every class
#
# The network predicted one class, but section 3 computed a map for each.
# What does the "red" map look like on a blue creature? The explorer below
# computes CAM for every class on four test scenes, one of each class, once;
# the dropdown then only picks which class's maps to show, so it updates
# instantly. Each panel's title gives the scene's true class and the
# model's probability for the chosen class.
#
# The static figure first, at the dropdown's default (the first scene's
# predicted class), so that the notebook read without a kernel still shows
# it:

# %%
shown = test[torch.tensor([12, 5, 8, 15])]  # one scene of each class
explorer = ClassExplorer.from_model(gap_cnn, shown)
explorer.figure

# %% [markdown]
# And the live version: pick another class.

# %%
explorer.widget()

# %% [markdown]
# On the creature of the chosen class, the map is brightest on its
# **head**, the small disk whose colour gives the class away; the
# ground-truth box (bright) shows how much of the creature the map leaves
# out. On the three creatures of *other* classes the picture turns over:
# the background is bright and the creature sits in a dark hole. Is the
# background evidence for red? The normalised map cannot say, because
# **each map is normalised on its own**: whatever its values, the lowest
# becomes 0 and the highest 1. The raw map $M_c$ can say. Below, the raw
# map of class red on the same four scenes, upsampled but not normalised,
# on a colour scale centred at 0 (white), one scale for all four panels:
# orange is evidence *for* red, purple evidence *against*. The black line
# is the creature's outline. The cell first prints, for each scene, the
# map's range and its mean over the head, the whole creature and the
# background, and the normalised map's mean over the creature and the
# background, as the explorer shows it.

# %%
# NBVAL_CHECK_OUTPUT
RED = CLASS_NAMES.index("red")
raw = class_activation_map(gap_cnn, shown.images, target=RED)  # [4, 16, 16], not normalised
raw_64, normalised_64 = upsample(raw, 64), to_image(raw, 64)  # both bilinear; one normalised first
with torch.no_grad():
    p_red = gap_cnn(shown.images).softmax(1)[:, RED]
print(f"{'':6}{'':8}{'raw map of red':^15}{'its mean on the':^26}   {'normalised':^18}")
print(f"{'scene':6}{'p(red)':>8}{'min':>7}{'max':>7}   {'head':>7}{'creature':>9}"
      f"{'backgr.':>9}   {'creature':>9}{'backgr.':>9}")
for i in range(len(shown)):
    creature, head = shown.masks[i], shown.part_masks[i]
    print(f"{CLASS_NAMES[shown.labels[i]]:6}{p_red[i].item():>8.3f}"
          f"{raw[i].min().item():>7.1f}{raw[i].max().item():>7.1f}   "
          f"{raw_64[i][head].mean().item():>7.1f}{raw_64[i][creature].mean().item():>9.1f}"
          f"{raw_64[i][~creature].mean().item():>9.1f}   "
          f"{normalised_64[i][creature].mean().item():>9.2f}"
          f"{normalised_64[i][~creature].mean().item():>9.2f}")

fig, axes = plt.subplots(1, 4, figsize=(FIG_WIDTH, 2.7), layout="constrained")
scale = raw.abs().max().item()  # one colour scale for all four panels
for i, ax in enumerate(axes):
    class_name = class_label(CLASS_NAMES[shown.labels[i]])
    title = tr("{name}: p(red) = {p:.2f}").format(name=class_name, p=p_red[i])
    drawn = show_signed_map(raw[i], ax, vmax=scale, outline=shown.masks[i], title=title)
bar = fig.colorbar(drawn, ax=list(axes), shrink=0.9)
bar.set_label(tr("raw $M_{red}$: against (purple), for (orange)"), fontsize=LABEL_SIZE)
bar.ax.tick_params(labelsize=LABEL_SIZE)
fig.suptitle(tr("the raw map of class red, not normalised"), fontsize=TITLE_SIZE)
plt.show()

# %% [markdown]
# The raw map reads the other way round from the normalised one. On the
# red creature it is strongly positive, most of all on the head. On the
# green, blue and yellow creatures it is strongly *negative*: the creature,
# and most of all its head, is evidence **against** red, many times
# stronger than anything in the background, which stays near 0. Min-max
# normalisation sends each map's minimum to 0 and its maximum to 1, so on
# those scenes the most negative place, the head, becomes the darkest, and
# the background, merely less negative, becomes bright: the normalised
# map's mean over the creature is well below its mean over the background
# (the last two columns). A bright background in a
# normalised map of an absent class is not evidence *for* the class; it is
# the absence of evidence against it.
#
# So read a normalised map together with its class's probability, and when
# the class is absent, look at the raw map. $p \approx 0$ does not mean
# "no evidence at all": the scores enter the softmax as differences, and
# $p(\text{red}) \approx 0$ says that the evidence for the scene's own class
# *outweighs* the evidence for red by a wide margin, here helped by strong
# evidence against red on the creature itself. (Notebook 03 meets the same
# question from the other side: which regions argue *against* a class.)

# %% [markdown]
# ### 6. Where is the map? Head, body, background
#
# Theory section 1 recalled the CAM paper's hope: GAP should make the map cover
# the whole object. Our scenes know exactly where the head (the
# discriminative part), the rest of the body, and the background are, so we
# can measure it. For every test scene, take the true class's map,
# normalise it and upsample it to the image, and average it over each
# region (`course_utils.localization.mean_map_by_region`). First, eight of
# those maps:

# %%
maps_64 = to_image(cam_test, 64)  # [1000, 64, 64]: normalised, then bilinear
fig = scene_grid(test, range(8), maps=cam_test, ncols=4)
fig.suptitle(
    tr("CAM of the true class, normalised then bilinear; lime: the creature's box"),
    fontsize=TITLE_SIZE,
)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
regions = mean_map_by_region(maps_64, test.masks, test.part_masks)
print("mean normalised map, over the 1000 test scenes:")
print(f"  on the head (discriminative part): {regions['part']:.3f}")
print(f"  on the rest of the body:           {regions['rest of object']:.3f}")
print(f"  on the background:                 {regions['background']:.3f}")
print("share of the creature that is head:  "
      f"{test.part_masks.sum().item() / test.masks.sum().item():.3f}")

# %% [markdown]
# The map is high on the head and much lower on the rest of the body, which
# is most of the creature (the head is a small share of it), though still
# well above the background. So on our data GAP did **not** make the map
# cover the whole object: the head alone is enough to classify, the network
# learnt to look there, and CAM shows exactly that. This is plain CAM's
# known failure, **under-coverage**: it finds the most discriminative part,
# not the object. Notebook 04 turns these maps into boxes and measures how
# much that costs; notebook 05 (ACoL) erases the head from the features to
# force the network to find the rest.

# %% [markdown]
# ### 7. The limits, met in code
#
# **CAM needs a GAP + linear head.** `flatten_cnn` has none, and the
# library says so instead of returning a map that would not explain the
# score. (A notebook must run top to bottom, so we catch the error and
# print its message.)

# %%
# NBVAL_CHECK_OUTPUT
try:
    class_activation_map(flatten_cnn, x)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# **CAM explains only the last convolutional layer.** The backbone's third
# block (`features[4]`) also gives 64 maps of $16 \times 16$, so its shapes
# fit `fc` perfectly. But its maps reach the score through one more block
# (a 1x1 convolution, batch norm, ReLU), not through GAP alone, so
# `fc(GAP(features[4]))` is not the logit. The library checks that numerically and
# refuses:

# %%
up_to_block_3 = nn.Sequential(*list(gap_cnn.features)[:5])  # the backbone's first five modules
print("shape of features[4]'s output:", tuple(up_to_block_3(x).shape))
try:
    class_activation_map(gap_cnn, x, feature_layer=gap_cnn.features[4])
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# Both limits come from the same place: CAM reads its weights $w_k^c$ off
# the linear layer, and only the last feature maps are connected to the
# score by that layer alone. Grad-CAM (notebook 03) takes the weights from
# gradients instead, and then works for any head and any layer.

# %% [markdown]
# ## Discussion
#
# ### Summary
#
# - **Pooling**: max pooling keeps the strongest response, average pooling
#   the total; global average pooling (GAP) reduces each feature map to its
#   mean and forgets where.
# - **Network in Network** replaced flatten + fully-connected layers by a
#   last $1 \times 1$ layer with one map per class, averaged by GAP into the
#   class scores; the CAM paper's head, ours, is GAP then one linear layer.
#   Here: 256 parameters instead of over half a million. With a fixed
#   backbone and few training scenes, the flatten head memorised its
#   training set and generalised poorly; the GAP head
#   generalised from 25 scenes.
# - **CAM**: with GAP then a bias-free linear layer,
#   $S_c = \frac{1}{hw}\sum_{x,y} M_c(x, y)$ with
#   $M_c(x, y) = \sum_k w_k^c f_k(x, y)$. One `einsum` computes it; it
#   matches `course_utils.cam.class_activation_map`, and its mean is the
#   logit.
# - **Upsampling**: nearest is blocky, bilinear smooth and bounded, bicubic
#   overshoots. Normalise, then upsample: the other order changes the map
#   with bilinear and bicubic alike. At a high threshold ($t = 0.8$) it
#   changes what the mask keeps about as much for bilinear, the course's
#   default (IoU 0.849, 14% more pixels), as for bicubic (IoU 0.863, 12%
#   fewer).
# - **Every class has a map**, and each normalised map fills the colour
#   scale: read it together with the class's probability. For a class
#   absent from the scene the raw map is strongly negative on the creature
#   (evidence against), and normalisation turns that into a bright
#   background around a dark creature.
# - **What CAM shows here**: the head, not the body. Mean normalised map on
#   the head far above the rest of the body: under-coverage, the problem of
#   notebooks 04 and 05.
# - **Limits**: CAM needs GAP + linear, and explains only the last
#   convolutional layer. Grad-CAM (03) lifts both.
#
# ### Exercises
#
# Each exercise has a check that says what is right, or what it expected.
# The answers start as `None`, so the checks say "Not yet": replace them
# with your own. The worked solutions are in a notebook of their own,
# [solutions/02_gap_cam_solutions.ipynb](solutions/02_gap_cam_solutions.ipynb),
# so that no answer shows under its exercise: try first.
#
# **Exercise 1: pooling by hand.** Pool `POOLING_TENSOR` (printed below)
# with 2x2 windows and stride 2, once by average and once by max. Work it
# out on paper first, then type the two $2 \times 2$ results as nested lists
# (or compute them with `F.avg_pool2d` / `F.max_pool2d` and compare).
# Which window wins under each pooling, and why?

# %%
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

print(POOLING_TENSOR)
avg_pooled = None  # e.g. [[a, b], [c, d]]
max_pooled = None
check_pooling(avg_pooled, max_pooled)

# %% [markdown]
# **Exercise 2: counting parameters.** A bigger backbone gives `channels`
# feature maps of `size` x `size`, and there are `classes` classes (see
# `HEAD_CONFIG` below). Count, with pen and paper, the parameters of
# `FlattenCNN`'s kind of head for it (2x2 max-pool, flatten, a linear layer
# to `hidden` units with bias, ReLU, dropout, a linear layer to the classes
# with bias), and of `GapCNN`'s kind (GAP, then a bias-free linear layer).
# You can check your counts by building the layers and calling
# `count_parameters`.

# %%
print(HEAD_CONFIG)
flatten_head = None  # the flatten head's parameter count
gap_head = None      # the GAP head's parameter count
check_head_parameters(flatten_head, gap_head)

# %% [markdown]
# **Exercise 3: the map of a margin.** The softmax only sees differences of
# scores: $p_c / p_{c'} = e^{S_c - S_{c'}}$. So "why blue rather than red?"
# is a question about the margin $S_c - S_{c'}$, not about $S_c$ alone.
#
# *(a)* Write the margin as the mean of one map, and compute that map for
# $c$ = blue, $c'$ = red (`MARGIN_CLASSES = (2, 0)`) on the four images of
# `cam_exercise_images()`, from `gap_cnn.features` and `gap_cnn.fc.weight`
# with a single weighted sum over channels: which weight vector? Why is
# the result the difference of two CAMs, and why would the difference of
# the two *normalised* maps not do?
#
# *(b)* Predict first, then verify in code. Add the same number, say
# $a = 1$, to **every** weight $w_k^c$ of `fc`, every class and every
# channel (`gap_cnn.fc.weight + 1.0`, on a copy). Do the model's
# probabilities change? Do the CAMs change? Does your margin map from (a)
# change? Hint: write the new score and the new map with $w_k^c + a$ and
# see which terms depend on $c$ or on the position.

# %%
images = cam_exercise_images()   # [4, 3, 64, 64]
margin_maps = None               # [4, 16, 16]: the map whose mean is S_blue - S_red
display(check_margin_map(margin_maps))

probabilities_change = None      # True or False
cams_change = None               # True or False
margin_map_changes = None        # True or False
display(check_weight_shift(probabilities_change, cams_change, margin_map_changes))

# %% [markdown]
# **Going further** (no check): train `GapCNN` yourself on a small training
# set with `course_utils.train.train` (for example 300 scenes, 10 epochs,
# `progress=True`), and compare its CAM with the shipped model's. Does a
# less trained network look at the head too?
