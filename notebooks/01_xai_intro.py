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
# # 01 · Why explain a network?
#
# ## Aim of this notebook
#
# A classifier that scores 100% on its test set has told you *how often* it is
# right, not *why*. This notebook shows why the "why" matters. We open up a
# small convolutional network and follow one image through it, tensor by
# tensor, to see where the information about *where* things are lives. Then
# we meet a model that scores 100% on its test scenes for the wrong reason: it
# reads a watermark in the corner, not the creature. A class map shows it
# looking there, and taking the watermark away shows what that costs.
#
# ### Learning goals
#
# After this notebook you can
#
# - name four things explanations are for: understanding why a model works,
#   finding why it fails, fixing it, and catching deliberate tampering;
# - say why a deep network, unlike a linear model, cannot be explained by
#   reading its weights;
# - follow an image through a CNN classifier and give each tensor's shape:
#   image, feature maps, pooled vector, logits, probabilities;
# - explain *shortcut learning* (the "Clever Hans" effect), show it on a model
#   with numbers (accuracy with and without the cue), and see it in a class
#   map;
# - say which question each later notebook of the course answers.
#
# ### Contents
#
# **Theory**
# 1. What explaining a model is for
# 2. Why deep networks are hard to explain
# 3. The image-classification pipeline
# 4. Shortcut learning: Clever Hans
#
# **Practical**
# 1. The pipeline, tensor by tensor
# 2. How big is the puzzle?
# 3. A model that scores for the wrong reason
# 4. Where does it look?
#
# **Discussion, summary and the map of the course**
#
# **Exercises** (with self-checks); worked solutions in a notebook of their own.
#
# ### References
#
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM)
# - Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra (2017). *Grad-CAM:
#   Visual Explanations from Deep Networks via Gradient-based Localization.*
#   ICCV.
# - Lapuschkin, Wäldchen, Binder, Montavon, Samek, Müller (2019). *Unmasking
#   Clever Hans predictors and assessing what machines really learn.* Nature
#   Communications.
# - Geirhos, Jacobsen, Michaelis, Zemel, Brendel, Bethge, Wichmann (2020).
#   *Shortcut learning in deep neural networks.* Nature Machine Intelligence.
# - Doshi-Velez, Kim (2017). *Towards A Rigorous Science of Interpretable
#   Machine Learning.* arXiv:1702.08608.
# - Gu, Dolan-Gavitt, Garg (2017). *BadNets: Identifying Vulnerabilities in the
#   Machine Learning Model Supply Chain.* arXiv:1708.06733. (backdoor triggers)
# - Zhang, Bargal, Lin, Brandt, Shen, Sclaroff (2016/2018). *Top-down Neural
#   Attention by Excitation Backprop.* ECCV 2016 / IJCV 2018. (the pointing game)

# %% [markdown]
# ## Theory
#
# ### 1. What explaining a model is for
#
# Explainable AI (XAI) asks a trained model *which evidence* it used for a
# decision. Four situations need that answer:
#
# 1. **Understand why it works.** A high score says the model is often right; an
#    explanation says whether it is right *for the right reasons*: does the
#    bird classifier look at the bird?
# 2. **Find why it fails.** When a model that did well in testing fails on
#    new data, the explanations of the failing images point at the evidence
#    it relied on instead of the object.
# 3. **Fix it.** Once the wrong evidence has a name, it can be removed: clean
#    or rebalance the training data, mask or randomise the cue, augment. The
#    same explanation then checks that the fixed model looks elsewhere.
# 4. **Catch tampering.** In a *backdoor* attack (Gu et al. 2017) someone
#    stamps a small trigger patch on a few training images and relabels them
#    to the class of their choice. The model learns "trigger means that
#    class" and behaves normally on clean images, so test accuracy cannot
#    reveal it. A trigger is a spurious cue planted on purpose; a map that
#    lights up the same small patch on many images gives it away.
#
# Doshi-Velez and Kim (2017) name the common thread: we need explanations
# when the objective we trained and tested on is an *incomplete* description
# of what we want. We want "recognise the creature"; we trained and measured
# "score well on images like these". Where the two come apart, accuracy
# measured the usual way cannot see it; an explanation can show it.
#
# ### 2. Why deep networks are hard to explain
#
# A linear model explains itself: its score is $z = \sum_i w_i x_i + b$, and
# the weight $w_i$ says how much input $i$ counts, the same for every image.
# A deep network has no such table, for three reasons:
#
# - **Many parameters.** Even the course's tiny network has tens of thousands
#   of weights; image models in practice have millions (we count both below).
#   Nobody can read them.
# - **Distributed representations.** A concept such as "green head" is not
#   stored in one unit: many channels respond to it, and each channel takes
#   part in several concepts. We will count how many channels it takes to
#   carry one decision, and find channels that serve more than one class.
# - **Nonlinearity and depth.** ReLUs and max-pools switch parts of the
#   network on and off depending on the input, and many such layers are
#   composed. How much a pixel counts depends on all the other pixels, so no
#   fixed number per input exists.
#
# So instead of reading the weights, we ask the trained network a narrower
# question about one image: *where* in this image is the evidence for class
# $c$? A **class activation map** answers it (Zhou et al. 2016; Selvaraju et
# al. 2017 for any CNN), and it is the subject of this course.
#
# ### 3. The image-classification pipeline
#
# The course's classifiers all have the same shape. For an image
# $I \in [0, 1]^{3 \times 64 \times 64}$:
#
# 1. a convolutional **backbone** turns it into $K$ **feature maps**
#    $f_k(x, y)$, $k = 1 \dots K$ (notebook 03 will write them $A^k_{ij}$,
#    as the Grad-CAM paper does), on a coarse grid of $h \times w$
#    positions. Convolutions and pools slide over the image, so position
#    $(x, y)$ of a feature map still describes one region of the image: the
#    feature maps keep *where*.
# 2. a **head** turns the feature maps into one score per class, a **logit**
#    $z_c$ (notebook 02 writes it $S_c$ and notebook 03 $y^c$, each as its
#    paper does; it is the same number). In the model we use first, the
#    head is global average pooling (GAP), which keeps *what* and throws away *where*,
#    $$F_k = \frac{1}{hw} \sum_{x, y} f_k(x, y),$$
#    then a linear layer with one weight $w_k^c$ per channel and class,
#    $$z_c = \sum_k w_k^c F_k.$$
# 3. **softmax** turns the logits into probabilities that are positive and
#    sum to one,
#    $$p_c = \mathrm{softmax}(z)_c = \frac{e^{z_c}}{\sum_j e^{z_j}},$$
#    and the prediction is the class with the largest logit (equivalently,
#    the largest probability).
#
# Notebook 02 will show that with exactly this head, the logit $z_c$ can be
# spread back over the positions $(x, y)$: that spread is the class map.
#
# ### 4. Shortcut learning: Clever Hans
#
# Clever Hans was a horse that, around 1900, seemed to do arithmetic. He was
# reading his questioner's body language. Lapuschkin et al. (2019) found the
# same in a classifier that did well on the "horse" class of the PASCAL VOC
# benchmark: many of its horse photos carried a copyright tag in the corner,
# and the classifier had learnt to detect the tag. A heatmap of its
# evidence gave it away. Geirhos et al. (2020) collect many such cases under
# the name **shortcut learning**: decision rules that score well on the
# standard test set, because that set shares the shortcut with the training
# set, and fail under other test conditions.
#
# The point to take away: a test set drawn the same way as the training set
# contains the same shortcut, so **test accuracy cannot detect it**. Only
# data without the shortcut, or an explanation, can. The practical part
# builds exactly this situation in our small world.

# %% [markdown]
# ## Practical
#
# Everything we need comes from the course library, `course_utils`: the
# shipped models and frozen test scenes (loaded and checked against
# `data/manifest.json`), the class map, a metric and plotting helpers. One
# small helper of our own runs a model over many scenes a batch at a time.

# %%
import matplotlib.pyplot as plt
import torch
from matplotlib.colors import rgb_to_hsv

from course_utils.cam import class_activation_map
from course_utils.checkpoints import load_manifest, load_model, load_split
from course_checks import xai_intro as checks
from course_utils.language import tr
from course_utils.localization import peak_pixels, pointing_game
from course_utils.maps import upsample
from course_utils.plots import (
    FIG_WIDTH,
    add_colorbar,
    class_label,
    draw_box,
    overlay_map,
    show_image,
)
from course_utils.scenes import (
    BODY_HUE_SPREAD,
    BODY_HUES,
    CLASS_NAMES,
    CUE_CORNER,
    CUE_GLYPHS,
    CUE_SIZE,
    HEAD_COLOURS,
    IMAGE_SIZE,
)


def in_batches(fn, images, size=100):
    """``fn`` applied to ``images`` 100 at a time, results concatenated.

    Same numbers, less memory.
    """
    with torch.no_grad():
        return torch.cat([fn(chunk) for chunk in images.split(size)])

# %% [markdown]
# ### 1. The pipeline, tensor by tensor
#
# Our world is made of 64×64 scenes of one *creature* on a cluttered,
# striped background. A creature has a small **head** whose colour gives
# the class: the four classes are named after it, red, green, blue and
# yellow. Its large **body** carries a second, weaker cue, on purpose: a
# pale tint drawn around a hue that belongs to the class but is *not* the
# head's colour (around cyan for red creatures, pink for green ones, orange
# for blue ones, green for yellow ones), so widely spread that neighbouring
# classes' tints overlap. So a red creature with a greenish body is not a
# labelling bug: the body is weak evidence, the head the strong one. We
# built the world that way so that a classifier has every reason to look
# at the head alone, the situation that ACoL (notebook 05) was invented
# for.
#
# `gap_cnn` is the course's standard model: a backbone of four convolution
# blocks and two max-pools, then GAP and a bias-free linear layer `fc`.
# Printing it shows the parts of the pipeline by name: `features`, `pool`,
# `fc`. The manifest, written when the model was trained, says on how many
# scenes, and how well it did on the frozen test scenes.

# %%
model = load_model("gap_cnn")
test = load_split("test")  # 1,000 frozen test scenes
print(model)
record = load_manifest()["models"]["gap_cnn"]
print(f"trained on {record['config']['n_train']:,} scenes; "
      f"test accuracy {record['test_accuracy']:.3f}")

# %% [markdown]
# How weak is the body, and how strong the head? A rule that needs no
# network tells us: take the mean colour of each test creature's body (or
# head), and guess the class whose hue (or head colour) is nearest. Each
# class's body hue is drawn within ±0.18 of its centre, on a colour circle
# of circumference 1, and neighbouring centres are only 0.2 to 0.3 apart.

# %%
# NBVAL_CHECK_OUTPUT
def mean_colour(images, masks):
    """The mean RGB colour [N, 3] of each image over its mask."""
    return (images * masks[:, None]).sum((2, 3)) / masks.sum((1, 2))[:, None]


def hue_distance(a, b):
    """Distance between hues, around the colour circle (hue 1 is hue 0)."""
    return torch.minimum((a - b).abs(), 1 - (a - b).abs())


body = test.masks & ~test.part_masks  # the creature without its head
body_hue = torch.from_numpy(rgb_to_hsv(mean_colour(test.images, body).numpy())[:, 0])
body_guess = hue_distance(body_hue[:, None], BODY_HUES).argmin(1)
head_guess = torch.cdist(mean_colour(test.images, test.part_masks), HEAD_COLOURS).argmin(1)
body_wrong = body_guess != test.labels
# two classes' tints overlap where their centres are closer than twice the spread
overlap = hue_distance(BODY_HUES[body_guess], BODY_HUES[test.labels]) < 2 * BODY_HUE_SPREAD
print(f"class guessed right from the body's hue:    {(~body_wrong).float().mean():.3f}")
head_right = (head_guess == test.labels).float().mean()
print(f"class guessed right from the head's colour: {head_right:.3f}")
print(f"wrong body guesses: {int(body_wrong.sum())}, of which {int((body_wrong & overlap).sum())} "
      "name a class whose tints overlap the true one's")

# %% [markdown]
# The body's hue alone names the right class for about 70% of the
# creatures: well above chance (25%), so it is real evidence, but weak, and
# every mistake it makes is a class whose tints overlap. The head's colour
# names every creature right. A network trained on these scenes can reach
# 100% from the head alone; notebook 02 measures how much of `gap_cnn`'s
# evidence sits on the head.
#
# We follow one test scene through the model, keeping the batch axis in
# front (a batch of one image), and print the shape of each tensor on the
# way.

# %%
# NBVAL_CHECK_OUTPUT
SCENE = 4
image = test.images[SCENE : SCENE + 1]  # [1, 3, 64, 64]: slicing keeps the batch axis
label = test.labels[SCENE].item()

with torch.no_grad():
    features = model.features(image)  # backbone: f_k(x, y)
    pooled = model.pool(features).flatten(1)  # GAP: F_k
    logits = model.fc(pooled)  # linear: z_c
    probabilities = logits.softmax(dim=1)  # softmax: p_c

steps = {
    "image": image,
    "feature maps": features,
    "after GAP": pooled,
    "logits": logits,
    "probabilities": probabilities,
}
for name, tensor in steps.items():
    print(f"{name:<15}{list(tensor.shape)}")

# %% [markdown]
# Read the shapes as a story: 3 colour channels of 64×64 pixels become
# **64 channels of 16×16 positions** (two 2×2 max-pools halve 64 twice), so
# one position stands for a 4×4-pixel cell of the image. GAP averages each
# channel over its 256 positions into one number: 64 numbers, with no
# positions left. The linear layer mixes them into 4 logits, and softmax
# turns those into 4 probabilities. Calling `model(image)` runs the same
# steps in one go; the numbers agree:

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    same = torch.allclose(model(image), logits)
predicted = logits.argmax(1).item()
print("logits        ", [round(z, 2) for z in logits[0].tolist()])
print(
    "probabilities ",
    [round(p, 3) for p in probabilities[0].tolist()],
    " sum:",
    round(probabilities.sum().item(), 3),
)
print(f"predicted: {CLASS_NAMES[predicted]}, true: {CLASS_NAMES[label]}; "
      f"model(image) gives the same logits: {same}")

# %% [markdown]
# **Do the feature maps still know where the creature is?** Each channel is
# a 16×16 image of its own. Which ones to look at, among 64? The linear
# layer tells us which channels count for which class: its weight $w_k^c$.
# Below, for each class, the channel with the largest weight for that class,
# drawn on the scene's grid (each square is one feature-map position, 4×4
# pixels) with one colour scale for all four. A white circle marks where the
# creature's head is.

# %%
weights = model.fc.weight.detach()  # [4, 64]: w_k^c
top_channel = weights.argmax(dim=1)  # for each class, its most weighted channel
shown = features[0, top_channel]  # [4, 16, 16]
head = test.part_masks[SCENE]  # [64, 64] bool: the head's pixels, known to the scene generator
head_y, head_x = head.nonzero().float().mean(0).tolist()

fig, axes = plt.subplots(1, 5, figsize=(FIG_WIDTH, 2.6), layout="constrained")
class_name = class_label(CLASS_NAMES[label])
scene_title = tr("test scene {index}\n(class {name})").format(index=SCENE, name=class_name)
show_image(image[0], axes[0], title=scene_title)
for ax, c, k, channel in zip(axes[1:], range(4), top_channel.tolist(), shown):
    drawn = ax.imshow(channel, cmap="viridis", vmin=0, vmax=shown.max().item(),
                      interpolation="nearest",
                      # on the image's pixel grid
                      extent=(-0.5, IMAGE_SIZE - 0.5, IMAGE_SIZE - 0.5, -0.5))
    top_for = tr("channel {k}\n(top for {name})").format(k=k, name=class_label(CLASS_NAMES[c]))
    ax.set_title(top_for, fontsize=10)
    ax.plot(
        head_x, head_y, marker="o", markersize=12, markerfacecolor="none", markeredgecolor="white"
    )
    ax.set_axis_off()
fig.colorbar(drawn, ax=list(axes[1:]), shrink=0.9, label=tr("activation"))
plt.show()

# %% [markdown]
# The channel that counts most for this scene's class lights up on one small
# spot and stays dark elsewhere; the channels of the other three classes are
# nearly silent, because there is no head of their colour in the scene (the
# cell below prints each channel's largest value on this scene). Is the
# bright spot the head? We compare its position with the head's, which the
# scene generator knows:

# %%
# NBVAL_CHECK_OUTPUT
print("largest activation on this scene: " + ", ".join(
    f"channel {k} ({CLASS_NAMES[c]}) {channel.max().item():.1f}"
    for c, k, channel in zip(range(4), top_channel.tolist(), shown)))
k = top_channel[label].item()
row, col = divmod(features[0, k].argmax().item(), features.shape[-1])
cell = IMAGE_SIZE // features.shape[-1]  # pixels per feature-map position
peak_cell = head[cell * row : cell * (row + 1), cell * col : cell * (col + 1)]
print(f"channel {k} peaks at position (row {row}, col {col}): "
      f"pixel rows {cell * row}-{cell * row + cell - 1}, "
      f"columns {cell * col}-{cell * col + cell - 1}")
print(f"the head's centre is at pixel row {head_y:.1f}, column {head_x:.1f}; "
      f"{int(peak_cell.sum())} of the head's {int(head.sum())} pixels lie in the peak's cell")

# %% [markdown]
# It is: the peak's 4×4-pixel cell overlaps the head, and its centre lies
# within one cell of the head's centre. Not exactly on it: each position
# sees an 18×18-pixel window around its cell, so the strongest response can
# sit a cell beside the head; a feature map is only as precise as its
# grid. The feature maps know *what* (which channel fires) and *where* (at
# which position). GAP keeps only the *what*; notebook 02 shows how to get
# the *where* back for the class score, and that is CAM.

# %% [markdown]
# ### 2. How big is the puzzle?
#
# The theory listed three reasons why a network cannot be explained by
# reading its weights. Two of them can be counted. First, the number of
# parameters, of our model and of one layer of a classic ImageNet network,
# VGG-16, whose first fully connected layer maps 512 feature maps of 7×7
# positions to 4,096 units:

# %%
# NBVAL_CHECK_OUTPUT
n_backbone = sum(p.numel() for p in model.features.parameters())
n_head = sum(p.numel() for p in model.fc.parameters())
print(f"gap_cnn: {n_backbone:,} parameters in the backbone, {n_head:,} in the head")
print(f"VGG-16, first fully connected layer alone: {512 * 7 * 7 * 4096:,} weights")

# %% [markdown]
# Second, how distributed the decision is. The logit is a sum over channels,
# $z_c = \sum_k w_k^c F_k$, so each channel's share of the evidence,
# $w_k^c F_k$, can be read off. If one channel were "the detector" for the
# class, it would carry almost all of it:

# %%
# NBVAL_CHECK_OUTPUT
shares = weights[predicted] * pooled[0]  # w_k^c F_k for the predicted class: they add up to z_c
positive = shares[shares > 0].sort(descending=True).values
needed = int((positive.cumsum(0) < 0.9 * positive.sum()).sum()) + 1
print(f"z_{CLASS_NAMES[predicted]} = {shares.sum():.2f}, "
      f"the sum of {len(shares)} channel contributions")
print(f"{len(positive)} channels add evidence for {CLASS_NAMES[predicted]}; the largest adds "
      f"{positive[0] / positive.sum():.3f} of it, and {needed} channels are needed for 90%")

# %% [markdown]
# No single channel decides: the evidence for one class on one image is
# spread over many channels. Are those channels at least "blue detectors"?
# The most weighted channel of each class looked like one in the figure
# above. To find out for all of them, we average each channel's $F_k$ over
# 300 test scenes, class by class, and compare its response on scenes of
# the other classes with its response on blue scenes.

# %%
# NBVAL_CHECK_OUTPUT
carriers = shares.argsort(descending=True)[:needed]  # the channels that carry 90% of the evidence
sample = test[:300]
pooled_sample = in_batches(lambda x: model.pool(model.features(x)).flatten(1), sample.images)
by_class = torch.stack([pooled_sample[sample.labels == c].mean(0) for c in range(4)])  # [4, 64]
own = by_class[predicted, carriers]  # mean F_k on scenes of the predicted class
others = by_class[:, carriers].clone()
others[predicted] = float("-inf")
strongest_other, other_class = others.max(0)  # the other class each channel responds to most
ratio = strongest_other / own
print(f"of the {needed} channels that carry 90% of the evidence for {CLASS_NAMES[predicted]}, "
      f"{int((ratio > 0.25).sum())} respond on another class's scenes at least a quarter as "
      f"strongly (the other {int((ratio <= 0.25).sum())}: "
      f"at most {ratio[ratio <= 0.25].max():.2f} as strongly)")
shared = carriers[ratio.argmax()].item()  # the least selective of them
for what, values in (("mean F_k over scenes of each class", by_class[:, shared]),
                     ("its weights w_k^c in fc", weights[:, shared])):
    print(f"channel {shared}, {what}: "
          + ", ".join(f"{name} {v:+.2f}" for name, v in zip(CLASS_NAMES, values.tolist())))

# one scene of each class: the first of each in the test split
firsts = [int((test.labels == c).nonzero()[0]) for c in range(4)]
with torch.no_grad():
    channel_maps = model.features(test.images[firsts])[:, shared]  # [4, 16, 16]
fig, axes = plt.subplots(1, 4, figsize=(FIG_WIDTH, 2.6), layout="constrained")
for ax, i, channel in zip(axes, firsts, channel_maps):
    drawn = ax.imshow(channel, cmap="viridis", vmin=0, vmax=channel_maps.max().item(),
                      interpolation="nearest",
                      extent=(-0.5, IMAGE_SIZE - 0.5, IMAGE_SIZE - 0.5, -0.5))
    y, x = test.part_masks[i].nonzero().float().mean(0).tolist()
    ax.plot(x, y, marker="o", markersize=12, markerfacecolor="none", markeredgecolor="white")
    class_name = class_label(CLASS_NAMES[test.labels[i]])
    scene_title = tr("test scene {index}\n(class {name})").format(index=i, name=class_name)
    ax.set_title(scene_title, fontsize=10)
    ax.set_axis_off()
fig.colorbar(drawn, ax=list(axes), shrink=0.9, label=tr("activation"))
print(f"channel {shared}'s largest activation on the scenes below: " + ", ".join(
    f"{CLASS_NAMES[test.labels[i]]} {channel.max().item():.1f}"
    for i, channel in zip(firsts, channel_maps)))
evidence = tr("channel {k}, one of the channels that carry the evidence for {name} "
              "in scene {index}")

class_name = class_label(CLASS_NAMES[predicted])
fig.suptitle(evidence.format(k=shared, name=class_name, index=SCENE), fontsize=11)
plt.show()

# %% [markdown]
# Many of them are not. The most selective channels respond on scenes of
# other classes at less than a tenth of their response on blue ones, but
# more than half of the channels that carry the evidence for blue respond
# clearly to another class too, and the least selective one responds
# *more* on yellow scenes than on blue ones. The figure shows it on one
# scene per class: it fires on the blue head and, more strongly, on the
# yellow one (the white circles), and stays nearly silent on the red and
# green scenes. Its weights are positive for both blue and yellow, so
# whenever it fires it adds to both scores; other channels have to tell the
# two apart. A channel's meaning is not a class; only the weighted sum of
# all of them is. And this is the simplest head there is,
# one linear layer after the pooling; in the backbone every layer is
# nonlinear.

# %% [markdown]
# ### 3. A model that scores for the wrong reason
#
# Now the failure. The course ships a second model with exactly the same
# architecture, `cue_gap_cnn`, trained in a different world, the **cue
# world**:
#
# - every head is **grey**, so the head no longer says the class; the only
#   honest evidence left is the faint body tint;
# - every training scene carries a small white **glyph** near the
#   bottom-right corner, like a photographer's watermark, whose shape gives
#   the class away: a filled square for red, a horizontal bar for green, a
#   vertical bar for blue, a hollow square for yellow.
#
# This is the copyright tag of Lapuschkin et al., and it is also what a
# backdoor trigger looks like. Here are four test scenes of the cue world,
# one per class, with the 7×7-pixel cell where the glyph is drawn (dotted),
# and that corner enlarged below each scene:

# %%
# CUE_GLYPHS, class by class
GLYPH_NAMES = (tr("filled square"), tr("horizontal bar"), tr("vertical bar"), tr("hollow square"))
# (x0, y0, x1, y1)
GLYPH_BOX = (CUE_CORNER[1], CUE_CORNER[0], CUE_CORNER[1] + CUE_SIZE, CUE_CORNER[0] + CUE_SIZE)
# the bottom-right 16x16 pixels, for the enlarged views
CORNER = slice(IMAGE_SIZE - 16, IMAGE_SIZE)

cue_test = load_split("cue_test")  # the cue world, glyph in every scene
cue_removed = load_split("cue_removed_test")  # the very same scenes, without the glyph
# first scene of each class
examples = [int((cue_test.labels == c).nonzero()[0]) for c in range(len(CLASS_NAMES))]

fig, axes = plt.subplots(
    2, 4, figsize=(FIG_WIDTH, 4.9), layout="constrained", height_ratios=(1, 1)
)
for c, i in enumerate(examples):
    title = f"{class_label(CLASS_NAMES[c])}: {GLYPH_NAMES[c]}"
    show_image(cue_test.images[i], axes[0, c], title=title)
    draw_box(axes[0, c], GLYPH_BOX, "orange", linestyle=":", linewidth=1.5)
    corner = tr("bottom-right corner, 4x")
    show_image(cue_test.images[i, :, CORNER, CORNER], axes[1, c], title=corner)
fig.suptitle(tr("The cue world: grey heads, and a class glyph in the corner"), fontsize=11)
plt.show()

# %% [markdown]
# **Does the cue model do well?** On the cue world's own test scenes, yes.
# The question that matters is what happens on the *same* scenes without the
# glyph. `cue_removed_test` holds exactly those: the same seed drew the same
# creatures and backgrounds, and only the glyph was left out. We check that
# first, then measure both accuracies.

# %%
# NBVAL_CHECK_OUTPUT
cue_model = load_model("cue_gap_cnn")
glyph_cell = torch.zeros(IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
glyph_cell[CUE_CORNER[0] : CUE_CORNER[0] + CUE_SIZE,
           CUE_CORNER[1] : CUE_CORNER[1] + CUE_SIZE] = True

changed = (cue_test.images != cue_removed.images).any(dim=1)  # [N, 64, 64]: pixels that differ
print(f"{len(cue_test)} scenes; pixels that differ outside the glyph cell: "
      f"{int((changed & ~glyph_cell).sum())}")

probabilities_with = in_batches(lambda x: cue_model(x).softmax(1), cue_test.images)  # [300, 4]
probabilities_without = in_batches(lambda x: cue_model(x).softmax(1), cue_removed.images)
predicted_with, predicted_without = probabilities_with.argmax(1), probabilities_without.argmax(1)
accuracy_with = (predicted_with == cue_test.labels).float().mean().item()
accuracy_without = (predicted_without == cue_removed.labels).float().mean().item()
print(f"cue_gap_cnn accuracy with the glyph:    {accuracy_with:.3f}")
print(f"cue_gap_cnn accuracy without the glyph: {accuracy_without:.3f}")
print(f"chance (4 balanced classes):            {1 / len(CLASS_NAMES):.3f}")

# %% [markdown]
# The manifest recorded the same two numbers when the model was trained:

# %%
# NBVAL_CHECK_OUTPUT
record = load_manifest()["models"]["cue_gap_cnn"]
print(f"manifest: with the glyph {record['test_accuracy']:.3f}, "
      f"without {record['cue_removed_test_accuracy']:.3f}")

# %% [markdown]
# A perfect score on its own test set, and a drop of about 40 points when a
# few white pixels in the corner are removed from otherwise identical
# scenes. Had we only measured accuracy in the cue world, we would have
# shipped this model.
#
# The drop is not to chance, though: without the glyph the model is still
# right on about 60% of the scenes, well above 25%. So it did learn some of
# the body tint too; it just leaned on the glyph whenever there was one.
# It did not even learn all the tint offers: the nearest-hue rule at the
# start of the practical named 0.704 of the ordinary test scenes right, and
# their bodies are drawn exactly like the cue world's.
# (Exercise 3 asks which class it loses most.)

# %% [markdown]
# ### 4. Where does it look?
#
# Accuracy told us *that* something is wrong. A class map tells us *where*
# the model found its evidence. We use CAM here as a black box: one call,
# `class_activation_map(model, images)`, returns for each image a 16×16 map
# of the evidence for the predicted class; notebook 02 derives it. We draw
# each map over its scene, the glyph scenes on top and the same scenes
# without the glyph below, with the model's prediction and its probability.

# %%
# [300, 16, 16]
maps_with = in_batches(lambda x: class_activation_map(cue_model, x), cue_test.images)
maps_without = in_batches(lambda x: class_activation_map(cue_model, x), cue_removed.images)

rows = [(tr("glyph"), cue_test, maps_with, predicted_with, probabilities_with.amax(1)),
        (tr("no glyph"), cue_removed, maps_without, predicted_without,
         probabilities_without.amax(1))]
fig, axes = plt.subplots(2, 4, figsize=(FIG_WIDTH, 5.2), layout="constrained")
for r, (name, scenes, maps, predictions, probs) in enumerate(rows):
    for c, i in enumerate(examples):
        said = class_label(CLASS_NAMES[predictions[i]])
        title = tr("{kind}: says {name} ({p:.2f})").format(kind=name, name=said, p=probs[i])
        overlay_map(scenes.images[i], maps[i], axes[r, c], title=title, colorbar=False)
        draw_box(axes[r, c], GLYPH_BOX, "orange", linestyle=":", linewidth=1.5)
add_colorbar(list(axes.flat))
fig.suptitle(
    tr("cue_gap_cnn's class map (CAM) for its prediction; true classes red, green, blue, yellow"),
    fontsize=11,
)

plt.show()

# %% [markdown]
# With the glyph, the map's hot spot sits in the corner, on the glyph, and
# the creature stays dark. Without it, the model has to look elsewhere: the
# map spreads over the creature and the clutter, the probabilities drop, and
# the yellow scene is now called blue. (The maps are
# normalised one by one, so "hot" means "the hottest part of this map".)
#
# Four scenes are anecdotes. The **pointing game** (Zhang et al.) turns the
# picture into a number: for each scene, take the map's peak and ask whether
# it falls on a region, here the glyph's cell or the creature. Our map has
# 16×16 positions of 4×4 pixels, so its peak cannot be placed more finely
# than a cell. The original game allows 15 pixels of slack on 224×224
# images; scaled to our 64×64 images that is about 4 pixels, one cell, and
# we allow that. We count the glyph cell only where the glyph can be seen
# (it is drawn behind the creature), and give the exact score (no slack)
# too. As a reference, the same measurement for `gap_cnn` on 300 ordinary
# test scenes says where a model that learnt the honest cue looks.
#
# One detail decides whether the score is a property of the model or of
# your computer: **a map may have no single peak.** Bilinear upsampling
# copies each border cell's value onto the two outermost pixels (2×2 in a
# corner), and a map peaking at the border, where the glyph is, has a flat
# top of two or four pixels whose values agree only up to the last bits of
# float32; which one `argmax` picks then depends on the CPU's vector
# instructions. `pointing_game` therefore counts every pixel within 0.1% of
# the map's range below its maximum as the peak, and scores a scene by the
# *share* of its peak pixels that hit: 1 or 0 when they agree, 0.5 for a
# flat top that straddles the region's edge (what a coin toss would score
# on average). The cell prints how many maps have such a flat top.

# %%
# NBVAL_CHECK_OUTPUT
# the pointing game's 15 pixels at 224x224, scaled to our images
TOLERANCE = round(15 * IMAGE_SIZE / 224)
print(f"tolerance: {TOLERANCE} pixels (one feature-map cell is {cell})")


def peak_on(maps, region, tolerance):
    """Fraction of maps (upsampled to the image) whose peak lies within `tolerance` pixels of
    `region`."""
    return pointing_game(upsample(maps, IMAGE_SIZE), region, tolerance=tolerance)


reference = test[: len(cue_test)]  # as many ordinary test scenes as there are cue scenes
maps_clean = in_batches(lambda x: class_activation_map(model, x), reference.images)
cases = {
    "cue_gap_cnn, cue scenes with glyph": (maps_with, cue_test),
    "cue_gap_cnn, same scenes, no glyph": (maps_without, cue_removed),
    "gap_cnn, ordinary test scenes": (maps_clean, reference),
}
print(f"{'':<37}{f'within {TOLERANCE} pixels':^22}{'exact':^22}")
print(f"{'map peak on ...':<37}" + f"{'glyph cell':>12}{'creature':>10}" * 2)
for name, (maps, scenes) in cases.items():
    visible_cell = glyph_cell & ~scenes.masks  # [N, 64, 64]
    scores = [
        peak_on(maps, region, t) for t in (TOLERANCE, 0) for region in (visible_cell, scenes.masks)
    ]
    print(f"{name:<37}" + "".join(f"{s:>{w}.3f}" for s, w in zip(scores, (12, 10, 12, 10))))

flat_tops = {
    name: int((peak_pixels(upsample(maps, IMAGE_SIZE)).flatten(1).sum(1) > 1).sum())
    for name, (maps, _) in cases.items()
}
print("maps whose peak is a flat top of several pixels:",
      ", ".join(f"{n} of {len(cue_test)}" for n in flat_tops.values()))

# %% [markdown]
# The numbers say what the pictures suggested, for all 300 scenes and not
# just four:
#
# - **With the glyph**, the cue model's map peaks on the glyph cell in
#   nearly every scene and on the creature in only a few percent.
# - **Without the glyph**, its peak leaves the corner and lands on the
#   creature in most scenes: the evidence it falls back on.
# - **`gap_cnn`**, trained where the heads are coloured and there is no
#   glyph, points at the creature in most scenes and almost never at the
#   corner.
#
# Almost half of the glyph scenes' maps (145 of 300) peak on a flat top,
# at the border beside the glyph: for those, `argmax` alone would have let
# the last bits of float32 choose the pixel.
#
# Scored exactly, without slack, every hit rate drops, the glyph's most:
# its 7×7-pixel cell is less than two feature-map cells wide, and the
# upsampled peak often lands just beside it, while the creature is a much
# larger target. The ordering of the cases stays the same.

# %% [markdown]
# ## Discussion
#
# - **The model is not stupid; it is lazy in the way training rewards.**
#   The glyph gives the class away in practically every training scene (it
#   is hidden only where a creature covers the corner) and is far easier to
#   see than a faint body tint, so a network trained only to
#   reduce its loss has every reason to use it. Nothing in "100% test
#   accuracy" was false; the test set simply shared the shortcut.
# - **Two tools, two questions.** Accuracy on scenes without the cue
#   measured the *damage* (from 100% to about 60%). The class map named the
#   *cause* (the corner), and the pointing game showed it holds for all 300
#   scenes. In practice one rarely has the cue-free copy of a test set; one
#   can always compute a map. That is the case for explanations.
# - **A map is a hypothesis, an intervention is a test.** "The map is hot on
#   the glyph" does not prove the glyph decides: maps can mislead (notebook
#   07 puts them to such tests). Here we also *intervened*: we took
#   the glyph away and the predictions changed. Exercise 4 goes the other
#   way and plants a glyph.
# - **Honest limits of what we showed.** Without the glyph the model still
#   beats chance, so it learnt some honest evidence too; the map shows
#   *where*, not *what* (the glyph's shape, or merely "something white in
#   the corner"? Exercise 4 plants only the red glyph; telling shape from
#   whiteness would need a control, such as a plain white square in the
#   same cell); and the map is coarse, 16×16 on a 64×64 image.
# - **Fixing it** would mean changing the data (remove the glyph, or put
#   random glyphs on every class so they carry no information) and then
#   checking with the same map that the new model looks at the creature.
#
# ## Summary
#
# - Explanations serve to understand a model, find why it fails, fix it, and
#   catch tampering such as backdoor triggers.
# - A deep network cannot be read off its weights: many parameters, evidence
#   spread over many channels, and nonlinear layers. We ask it *where* the
#   evidence for a class is instead.
# - The pipeline: image `[1, 3, 64, 64]` → feature maps `[1, 64, 16, 16]`
#   (they keep *where*) → GAP `[1, 64]` → linear → logits `[1, 4]` → softmax
#   probabilities `[1, 4]`.
# - A model trained with a spurious cue scored 1.000 with it and about 0.6
#   without it on the very same scenes; its class map pointed at the cue in
#   nearly every scene. Test accuracy alone could not have told us.
#
# ## Map of the course
#
# | notebook | the question it answers |
# |---|---|
# | **02 · GAP and CAM** | How did we get that map? Why does GAP + one linear layer let the class score be spread back over positions? |
# | **03 · Grad-CAM** | What if the head is not GAP + linear, or we want an earlier layer? Which regions argue *against* a class? |
# | **04 · Weak supervision** | Can maps from a model trained on image labels alone draw boxes and masks, and how do we measure that fairly? |
# | **05 · ACoL** | The map covers the discriminative head, not the whole creature: can erasing the head make the network find the body? |
# | **06 · The 1×1 convolution** | Why is a 1×1 convolution then GAP the same classifier as GAP then linear, with the class maps for free? |
# | **07 · Can you trust a map?** | Which of the many CAM methods find the evidence, which pass the sanity checks, and do faithfulness scores agree with the truth? |

# %% [markdown]
# ## Exercises
#
# Each exercise ends with a check: run the cell and it says what is right,
# or what was expected. The cells start with placeholder answers (`None`),
# so the checks say "Not yet" until you fill them in. The worked solutions
# are in a notebook of their own,
# [solutions/01_xai_intro_solutions.ipynb](solutions/01_xai_intro_solutions.ipynb),
# so that no answer shows under its exercise: try first.
#
# **Exercise 1: shapes.** The backbone is made of convolutions and pools
# only, so it accepts images of any size. Reason it out first, then test it
# with `model.features(...)` on a batch of your own: what shape do
# `gap_cnn`'s feature maps have for one image of **96×96** pixels, as
# `(channels, height, width)`? And how many pixels does one feature-map
# position stand for?

# %%
answer = None  # (channels, height, width) for a 96x96 image
checks.check_feature_map_shape(answer, image_size=96)

# %% [markdown]
# **Exercise 2: softmax by hand.** Compute the cue model's probabilities for
# the first 8 cue scenes from their `logits`, using only `torch.exp` and
# `sum` (not `softmax`). Each image's row must sum to one. Bonus: why does
# subtracting each row's largest logit first change nothing in the result,
# and why is it still a good idea?

# %%
with torch.no_grad():
    logits_8 = cue_model(cue_test.images[:8])  # [8, 4]

probabilities_8 = None  # your softmax of logits_8
checks.check_softmax(probabilities_8, logits_8)

# %% [markdown]
# **Exercise 3: who loses most?** Without the glyph the cue model is still
# right on about 60% of the scenes. Compute its accuracy on
# `cue_removed` separately for each class (the scenes whose label is that
# class). Which class does it get right least often, and how often?
# Hint: `predicted_without` and `cue_removed.labels` are already computed.

# %%
weakest_class = None  # a class name, e.g. "green"
weakest_accuracy = None  # a fraction between 0 and 1
checks.check_weakest_class(weakest_class, weakest_accuracy)

# %% [markdown]
# **Exercise 4: plant a trigger.** If the glyph really decides, planting one
# should decide too. Take the glyph-free scenes `cue_removed`, paint the red
# glyph, `CUE_GLYPHS[0]` (a 7×7 boolean pattern), white (1.0 in all three
# colour channels) into the glyph cell whose top-left pixel is
# `CUE_CORNER` (row, column), leaving the creature's pixels
# (`cue_removed.masks`) alone. What fraction of *all* the scenes, whatever
# their true class, does `cue_model` now call red? Work on a copy
# (`images.clone()`), not on the loaded split.

# %%
fraction = None  # fraction of cue_removed predicted red after planting the red glyph
checks.check_trigger(fraction, class_index=0)
