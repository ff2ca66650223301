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
# # 07 · Can you trust a map? The CAM family, tested against the truth
#
# ## Aim of this notebook
#
# This is the course's extra notebook. After Grad-CAM came a family of
# methods: HiResCAM, Grad-CAM++, XGrad-CAM, Layer-CAM, Score-CAM,
# Ablation-CAM, Eigen-CAM. Each paper shows pictures on photographs and
# argues that its maps are better. On photographs nobody knows where the
# evidence is, so nobody can say which map is *right*. Our world knows: the
# head decides the class, the body's tint is weak evidence, the background
# none. Here we implement the family, put every method through the tests the
# field proposed for explanations (sanity checks, deletion and insertion),
# and score each against the ground truth.
#
# ### Learning goals
#
# After this notebook you can
#
# - write each CAM method as its weighting rule, and say what it costs in
#   forward and backward passes;
# - show that CAM, Grad-CAM, HiResCAM and XGrad-CAM are one map on a GAP +
#   linear head, and say where they part ways;
# - run the sanity checks of Adebayo et al. (cascading randomisation, a
#   model trained on shuffled labels) and read their Spearman and SSIM;
# - measure faithfulness with deletion and insertion curves, stating the
#   baseline, and compare that ranking with a ranking against the truth.
#
# ### Contents
#
# **Theory**: 1. the family as weighting rules · 2. one map on a GAP head ·
# 3. sanity checks · 4. faithfulness · 5. ground truth
#
# **Practical**: 1. one map on a GAP head, and where they part ·
# 2. every method on two models · 3. the table · 4. sanity checks ·
# 5. do the rankings agree?
#
# **Discussion and summary**, **what the course did not cover**,
# **exercises** with self-checks; worked solutions in a notebook of their own.
#
# ### References
#
# - Selvaraju et al. (2017). *Grad-CAM.* ICCV.
# - Chattopadhay, Sarkar, Howlader, Balasubramanian (2018). *Grad-CAM++.* WACV.
# - Draelos, Carin (2020). *Use HiResCAM instead of Grad-CAM for faithful
#   explanations of convolutional neural networks.* arXiv:2011.08891.
# - Fu, Hu, Zhang, Xu, Zhang, Wang (2020). *Axiom-based Grad-CAM (XGrad-CAM).* BMVC.
# - Jiang, Zhang, Hou, Cheng, Wei (2021). *LayerCAM.* IEEE TIP.
# - Wang, Wang, Du, Yang, Zhang, Ding, Mardziel, Hu (2020). *Score-CAM.* CVPR workshops.
# - Desai, Ramaswamy (2020). *Ablation-CAM.* WACV.
# - Muhammad, Yeasin (2020). *Eigen-CAM.* IJCNN.
# - Adebayo, Gilmer, Muelly, Goodfellow, Hardt, Kim (2018). *Sanity Checks
#   for Saliency Maps.* NeurIPS.
# - Petsiuk, Das, Saenko (2018). *RISE* (deletion and insertion). BMVC.
# - Wang, Bovik, Sheikh, Simoncelli (2004). *Image quality assessment: from
#   error visibility to structural similarity* (SSIM). IEEE TIP.
# - Gildenblat and contributors. *pytorch-grad-cam* (the library we compare with).

# %% [markdown]
# ## Theory
#
# ### 1. The family as weighting rules
#
# Write $A^k_{ij}$ for channel $k$ of the explained layer at position
# $(i, j)$, $y^c$ for the class score (the logit) and
# $g^k_{ij} = \partial y^c / \partial A^k_{ij}$. Every method below returns
# $\mathrm{ReLU}\big(\sum_k W^k_{ij} A^k_{ij}\big)$; they differ in the
# weight $W$:
#
# | method | weight $W^k_{ij}$ | passes per map |
# |---|---|---|
# | Grad-CAM | $\frac{1}{hw}\sum_{ij} g^k_{ij}$ (one per channel) | 1 forward + backward to the layer |
# | HiResCAM | $g^k_{ij}$ (one per channel and position) | same |
# | Grad-CAM++ | $\sum_{ij}\alpha^{k}_{ij}\,\mathrm{ReLU}(g^k_{ij})$, $\alpha^k_{ij} = \frac{(g^k_{ij})^2}{2(g^k_{ij})^2 + \sum_{ab}A^k_{ab}(g^k_{ij})^3}$ | same |
# | XGrad-CAM | $\sum_{ij}\frac{A^k_{ij}}{\sum_{ab}A^k_{ab}}g^k_{ij}$ | same |
# | Layer-CAM | $\mathrm{ReLU}(g^k_{ij})$ | same |
# | Score-CAM | $\mathrm{softmax}\big(y(x\odot H^k)\big)_c$, $H^k$ = $A^k$ upsampled, min-max normalised | $1 + K$ forwards |
# | Ablation-CAM | $(y^c - y^c_{A^k=0})/y^c$ | $1 + K$ forwards |
# | Eigen-CAM | $A$ projected on its first principal direction: no class | 1 forward, one SVD |
#
# Score-CAM and Ablation-CAM need no gradient but one forward pass per
# channel: with $K = 64$ channels, 65 passes per map, against Grad-CAM's one
# forward and a partial backward.
#
# ### 2. One map on a GAP head
#
# With GAP then a linear layer, $y^c = \frac{1}{hw}\sum_{ij}\sum_k w^c_k
# A^k_{ij}$, so $g^k_{ij} = w^c_k / hw$ *at every position*. Then Grad-CAM's
# weight is $w^c_k/hw$, HiResCAM's too (the gradient is already its own
# mean), and XGrad-CAM's is $\sum_{ij}\frac{A^k_{ij}}{\sum A^k}\,\frac{w^c_k}{hw}
# = w^c_k/hw$. All three are $\mathrm{ReLU}(M_c)/hw$, CAM up to a positive
# constant and the ReLU. This is why "HiResCAM and Grad-CAM give the same
# map" is filed as a bug against the public libraries: on the last layer of
# a ResNet (GAP + linear) they must. They part where the gradient varies
# with the position: after a flatten head, or at an earlier layer. Layer-CAM
# and Grad-CAM++ drop negative gradients, so they can differ even here.
#
# ### 3. Sanity checks
#
# Adebayo et al. (2018) ask whether a map depends on what the model
# learnt. **Cascading randomisation**: re-initialise the layers one by one
# from the top and recompute the map after each step; **label
# randomisation**: train the same network on shuffled labels. If the map
# barely changes, it shows the image (edges, bright blobs), not the model.
# We compare the maps by the Spearman rank correlation of their pixels and
# by SSIM, the structural similarity of Wang et al. (2004): means, variances
# and covariance under an 11-pixel Gaussian window ($\sigma = 1.5$),
#
# $$\mathrm{SSIM}(a, b) = \frac{(2\mu_a\mu_b + C_1)(2\sigma_{ab} + C_2)}
#   {(\mu_a^2 + \mu_b^2 + C_1)(\sigma_a^2 + \sigma_b^2 + C_2)},$$
#
# averaged over positions, on maps normalised to $[0, 1]$ and upsampled to
# 64×64 ($C_1 = 0.01^2$, $C_2 = 0.03^2$).
#
# ### 4. Faithfulness: deletion and insertion
#
# Petsiuk et al. (2018): remove the pixels the map ranks highest, a share
# $s$ at a time, and watch the class probability. **Deletion** replaces them
# with mid-grey (0.5); a faithful map makes the probability fall fast, so a
# *small* area under the curve is good. **Insertion** starts from the image
# blurred with a Gaussian ($\sigma = 5$ pixels) and puts the top pixels back;
# a *large* area is good. The baseline is part of the metric: grey pixels
# are a colour the model never saw, and a blurred head keeps its colour.
#
# ### 5. Ground truth
#
# Our scenes come with the creature's mask and its head (`part_masks`). We
# use the **pointing game** on the head (does the map's peak fall on the
# head?), the **share of the map's positive mass** on head, body and
# background (the energy-based pointing game of the Score-CAM paper, split
# by region), and notebook 04's **MaxBoxAccV2** and **PxAP** for the whole
# object.

# %% [markdown]
# ## Practical
#
# The two models whose heads differ most: `gap_cnn` (GAP + linear) and
# `flatten_cnn` (flatten + fully connected), the frozen test scenes, the
# methods from `course_utils.cam` and the tests from `course_utils.trust`.
# The costly methods need one forward pass per channel, so the comparison
# uses the first 24 test scenes (16 for the sanity checks).

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_checks import trust as checks
from course_utils import cam, trust
from course_utils.checkpoints import load_manifest, load_model, load_split
from course_utils.language import tr
from course_utils.localization import max_box_acc, pointing_game, pxap
from course_utils.maps import to_image, upsample
from course_utils.plots import FIG_WIDTH, overlay_map, show_image

test = load_split("test")
few = test[:24]
models = {name: load_model(name) for name in ("gap_cnn", "flatten_cnn")}
METHODS = {  # name -> (function of (model, layer, images, target), passes per map)
    "Grad-CAM": (cam.grad_cam, "1 fwd + bwd"),
    "HiResCAM": (cam.hires_cam, "1 fwd + bwd"),
    "Grad-CAM++": (cam.grad_cam_plus_plus, "1 fwd + bwd"),
    "XGrad-CAM": (cam.xgrad_cam, "1 fwd + bwd"),
    "Layer-CAM": (cam.layer_cam, "1 fwd + bwd"),
    "Score-CAM": (cam.score_cam, "1 + K fwd"),
    "Ablation-CAM": (cam.ablation_cam, "1 + K fwd"),
    "Eigen-CAM": (cam.eigen_cam, "1 fwd + SVD"),
}
print(f"scenes: {len(few)} of {len(test)}; channels K of the explained layer:",
      models["gap_cnn"].features.out_channels)

# %% [markdown]
# ### 1. One map on a GAP head, and where they part
#
# On `gap_cnn`'s last feature maps ($16 \times 16$ positions), Grad-CAM,
# HiResCAM and XGrad-CAM times $hw = 256$ should all be
# $\mathrm{ReLU}(\mathrm{CAM})$. We compare them relative to the map's
# largest value.

# %%
# NBVAL_CHECK_OUTPUT
gap = models["gap_cnn"]
relu_cam = F.relu(cam.class_activation_map(gap, test.images[:200], test.labels[:200]))
hw = relu_cam.shape[-2] * relu_cam.shape[-1]
same = {
    "Grad-CAM x hw": cam.grad_cam(gap, gap.features, test.images[:200], test.labels[:200]) * hw,
    "HiResCAM x hw": cam.hires_cam(gap, gap.features, test.images[:200], test.labels[:200]) * hw,
    "XGrad-CAM x hw": cam.xgrad_cam(gap, gap.features, test.images[:200], test.labels[:200]) * hw,
}
for name, maps in same.items():
    error = ((maps - relu_cam).abs().amax() / relu_cam.abs().amax()).item()
    print(f"{name:>15} vs ReLU(CAM): the same map within 1e-5 of its maximum: {error < 1e-5}")


# %% [markdown]
# Now where they part. After `flatten_cnn`'s head, the gradient differs from
# position to position; so it does at `gap_cnn`'s third block
# (`features[4]`), whose output still passes a 1×1 block before the GAP. We
# compare HiResCAM with Grad-CAM on each by the Spearman rank correlation of
# their upsampled maps, averaged over the scenes (1 would be the same
# ranking of pixels); 64 scenes.

# %%
# NBVAL_CHECK_OUTPUT
def agreement(model, layer, images, labels):
    a = to_image(cam.grad_cam(model, layer, images, labels))
    b = to_image(cam.hires_cam(model, layer, images, labels))
    return trust.spearman(a, b).mean().item()


flat = models["flatten_cnn"]
cases = {
    "gap_cnn, last feature maps": (gap, gap.features),
    "gap_cnn, features[4]": (gap, gap.features[4]),
    "flatten_cnn, last feature maps": (flat, flat.features),
}
for name, (model, layer) in cases.items():
    rho = agreement(model, layer, test.images[:64], test.labels[:64])
    print(f"{name:>31}: Spearman(Grad-CAM, HiResCAM) = {rho:.2f}")

# %% [markdown]
# ### 2. Every method on two models
#
# Each method explains the true class on the 24 scenes, at the last feature
# maps; we keep the raw maps and time each method.

# %%
maps, seconds = {}, {}
for model_name, model in models.items():
    for name, (method, _) in METHODS.items():
        start = time.perf_counter()
        maps[model_name, name] = method(model, model.features, few.images, few.labels)
        seconds[model_name, name] = time.perf_counter() - start
print("computed", len(maps), "sets of maps of shape", tuple(maps["gap_cnn", "Grad-CAM"].shape))

# %% [markdown]
# Two scenes per model, every method, each map normalised on its own and
# laid over the image (red: high).

# %%
scenes_shown = [0, 1]
fig, axes = plt.subplots(4, 1 + len(METHODS), figsize=(FIG_WIDTH * 1.4, 6.4))
for row, (model_name, i) in enumerate((m, i) for m in models for i in scenes_shown):
    title = tr("{model}\nscene {index}").format(model=model_name, index=i)
    show_image(few.images[i], axes[row, 0], title=title)
    for col, name in enumerate(METHODS, start=1):
        overlay_map(few.images[i], maps[model_name, name][i], axes[row, col],
                    title=name if row == 0 else None, colorbar=False)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ### 3. The table: the truth, faithfulness, cost
#
# For each model and method: the pointing game on the head (within 4
# pixels, one cell of the 16×16 map: the head is small and the peak of a
# coarse map often lands just beside it), the share of
# the map's positive mass on head / body / background, MaxBoxAccV2 and PxAP
# (whole object), the areas under deletion (grey, lower is better) and
# insertion (blur, higher is better) with 6 steps of 1/6 of the pixels, and
# the passes per map.

# %%
# NBVAL_CHECK_OUTPUT
rows = {}
for (model_name, name), raw in maps.items():
    model = models[model_name]
    image_maps = upsample(raw, 64)
    shares = trust.energy_shares(raw, few.masks, few.part_masks).mean(0)
    deletion = trust.deletion_curve(model, few.images, raw, few.labels, steps=6)
    insertion = trust.insertion_curve(model, few.images, raw, few.labels, steps=6)
    rows[model_name, name] = {
        "point": pointing_game(image_maps, few.part_masks, tolerance=4),
        "head": shares[0].item(), "body": shares[1].item(), "bg": shares[2].item(),
        "box": max_box_acc(to_image(raw), few.boxes), "pxap": pxap(to_image(raw), few.masks),
        "del": trust.curve_area(deletion).mean().item(),
        "ins": trust.curve_area(insertion).mean().item(),
    }
header = (f"{'model':<12}{'method':<13}{'point':>6}{'head':>6}{'body':>6}{'bg':>6}"
          f"{'box':>6}{'pxap':>6}{'del':>6}{'ins':>6}  passes")
print(header)
for (model_name, name), r in rows.items():
    print(f"{model_name:<12}{name:<13}" + "".join(f"{r[k]:>6.2f}" for k in r)
          + f"  {METHODS[name][1]}")

# %% [markdown]
# ### 4. Sanity checks
#
# **Cascading randomisation** of `gap_cnn`, from the top: the linear head,
# then the backbone's blocks from last to first. After each step we compare
# each method's maps with the trained model's (Spearman and SSIM, mean over
# 16 scenes). On this head HiResCAM and XGrad-CAM are Grad-CAM (section 1),
# so we show Grad-CAM for the three, Grad-CAM++, Layer-CAM and Eigen-CAM.
# Score-CAM and Ablation-CAM are left out here: 65 passes per map at each of
# 5 steps would dominate the run time (they face the label check below).

# %%
cascade = ["fc", "features.5", "features.4", "features.2", "features.0"]
cheap = ["Grad-CAM", "Grad-CAM++", "Layer-CAM", "Eigen-CAM"]
sixteen = few[:16]
similarity = {
    name: trust.randomisation_similarity(
        lambda m, method=METHODS[name][0]: method(m, m.features, sixteen.images, sixteen.labels),
        gap, cascade)
    for name in cheap
}

fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.4), sharey=True)
for name in cheap:
    for ax, measure in zip(axes, ("spearman", "ssim")):
        ax.plot(range(1, len(cascade) + 1), similarity[name][measure].mean(1), "o-", label=name)
for ax, measure in zip(axes, (tr("Spearman rank correlation"), "SSIM")):
    ax.set_xticks(range(1, len(cascade) + 1), cascade, rotation=30)
    ax.set_xlabel(tr("randomised down to"))
    ax.set_title(tr("{measure} with the trained model's map").format(measure=measure))

    ax.axhline(0, color="grey", lw=0.5)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'method':<12}" + "".join(f"{s:>12}" for s in cascade) + "   (Spearman | SSIM)")
for name in cheap:
    cells = [f"{r:.2f} | {s:.2f}" for r, s in zip(similarity[name]["spearman"].mean(1),
                                                    similarity[name]["ssim"].mean(1))]
    print(f"{name:<12}" + "".join(f"{c:>12}" for c in cells))

# %% [markdown]
# Grad-CAM++'s line lies almost exactly under Layer-CAM's: on this head both
# weight the channels by their positive gradients only. By Spearman,
# Grad-CAM's map is already far from the trained one once the head is
# random (about 0.3), while Grad-CAM++, Layer-CAM and Eigen-CAM stay near 0.9
# to 1.0 until the backbone goes. SSIM tells a milder story for Grad-CAM
# (about 0.5 at first): its normalised map is mostly low background in both
# cases, and SSIM rewards that shared flat background. Read both measures.

# %% [markdown]
# **Label randomisation.** `gap_cnn_permuted_labels` is the same network
# trained on the same kind of scenes with the labels shuffled by a fixed
# seed: it learnt the labels of some training scenes by heart, and nothing
# about creatures. Its maps for the same classes should look nothing like the
# trained model's.

# %%
# NBVAL_CHECK_OUTPUT
permuted = load_model("gap_cnn_permuted_labels")
entry = load_manifest()["models"]["gap_cnn_permuted_labels"]
print(f"permuted-labels model: test accuracy {entry['test_accuracy']:.2f} (chance 0.25), "
      f"accuracy on its own shuffled training labels {entry['train_accuracy']:.2f}")
for name, (method, _) in METHODS.items():
    other = to_image(method(permuted, permuted.features, sixteen.images, sixteen.labels))
    trained = to_image(maps["gap_cnn", name][:16])
    rho = trust.spearman(trained, other).mean().item()
    s = trust.ssim(trained, other).mean().item()
    print(f"{name:<13} Spearman {rho:5.2f}   SSIM {s:5.2f}")

# %% [markdown]
# ### 5. Do the rankings agree?
#
# Rank the methods on each model by the truth (the share of the map on the
# head) and by each faithfulness measure, and compare the orders.

# %%
def ranking(model_name, key, best_first=True):
    names = list(METHODS)
    values = torch.tensor([rows[model_name, name][key] for name in names])
    order = values.argsort(descending=best_first, stable=True)
    return [names[i] for i in order]


for model_name in models:
    print(model_name)
    for key, label, best_first in (("head", "head share (truth)", True),
                                   ("del", "deletion (low first)", False),
                                   ("ins", "insertion (high first)", True)):
        print(f"  {label:<23}", ", ".join(ranking(model_name, key, best_first)))

# %% [markdown]
# Run time of each method on the 24 scenes (this machine, this run):

# %%
for (model_name, name), s in seconds.items():
    print(f"{model_name:<12}{name:<13}{s:6.2f} s")
gradient_seconds = [seconds[m, n] for m in models for n in ("Grad-CAM", "HiResCAM", "XGrad-CAM")]
forward_seconds = [seconds[m, n] for m in models for n in ("Score-CAM", "Ablation-CAM")]
print(f"Score-CAM and Ablation-CAM take {min(forward_seconds) / max(gradient_seconds):.0f} to "
      f"{max(forward_seconds) / min(gradient_seconds):.0f} times as long as Grad-CAM, HiResCAM "
      f"and XGrad-CAM here")

# %% [markdown]
# ## Discussion
#
# Read the numbers above against these questions; the table and the
# sanity-check tables are the evidence.
#
# **Which method finds the evidence?** On `gap_cnn` every method gives
# nearly the same map, and the gradient methods must (section 1): their
# head shares, box and pixel scores agree within 0.01 to 0.03, differences
# that 24 scenes cannot resolve. The choice of method does not matter on a
# GAP + linear head at its last layer. On `flatten_cnn` the methods part:
# HiResCAM and Layer-CAM, which weight each position by its own gradient,
# put the largest share of their mass on the head (0.18 and 0.17 against
# 0.11 to 0.13), while the gradient methods with one weight per channel
# (Grad-CAM, Grad-CAM++, XGrad-CAM) peak near the head more often (0.92
# against 0.83; Score-CAM, also one weight per channel, 0.88) and cover the
# whole object better (MaxBoxAccV2, PxAP). No method puts even a fifth of its mass on the head:
# the head is a few percent of the image, and a 16×16 map upsampled to
# 64×64 spreads over its surroundings.
#
# **Which pass the sanity checks?** Grad-CAM (with HiResCAM and XGrad-CAM,
# the same map here) changes as soon as the head is randomised (Spearman
# about 0.3): it passes. Grad-CAM++ and Layer-CAM keep most of their map
# (Spearman 0.9) after the classifier is replaced by random weights: they
# weight channels by *positive* gradients only, and on this head the map is
# then dominated by the feature maps themselves. Eigen-CAM uses no class and
# no gradient, so randomising the head cannot change it at all (Spearman
# 1.00); it changes only when the backbone is destroyed. These three maps
# show what the *features* respond to, largely the creature, whatever the
# classifier does with them: the failure Adebayo et al. warn about, and not
# what the Grad-CAM++, Layer-CAM and Eigen-CAM papers' pictures suggest. On
# the model trained on shuffled labels every method's map moves far from the
# trained model's (Spearman 0.24 or less, SSIM 0.27 or less): all pass that
# check, so here it is the weaker of the two. Score-CAM, which its paper
# says passes the sanity checks, does pass the label check.
#
# **Do faithfulness and truth agree?** On `gap_cnn` the deletion and
# insertion areas are equal to two decimals for every method, so their
# rankings are decided by noise and say nothing. On `flatten_cnn` the
# differences are barely larger: every insertion area is 0.94 to two
# decimals, and the deletion areas span 0.32 to 0.35, with Grad-CAM,
# HiResCAM and Layer-CAM tied at 0.32. The printed orders are there, but
# differences below 0.01 on 24 scenes cannot carry a ranking: all we can
# say is that the methods with most mass on the head (HiResCAM, Layer-CAM)
# are among the fastest to delete the evidence, and that insertion does not
# tell the methods apart. Faithfulness measures the model's use of the
# pixels under one baseline; it is not a measure of being right.
#
# **What does each cost?** The gradient methods cost one forward pass and a
# backward pass that stops at the layer, well under a second for 24 scenes;
# Score-CAM and Ablation-CAM need $1 + K = 65$ forward passes per map and
# take many times longer (the ratio printed above; it depends on the
# machine); Eigen-CAM one forward pass and one small eigenproblem per
# image. The
# papers present Score-CAM's and Ablation-CAM's freedom from gradients as
# their advantage; here it buys no better map.
#
# **Where we differ from pytorch-grad-cam.** Our functions follow the
# papers; `tests/test_cam_family_agreement.py` checks them against
# pytorch-grad-cam (within 1e-4 after its normalisation and resizing).
# Grad-CAM, HiResCAM, XGrad-CAM, Layer-CAM and Ablation-CAM agree. Its
# Grad-CAM++ adds $10^{-6}$ to $\alpha$'s denominator, which matters when
# gradients are small. Its Score-CAM softmaxes the $K$ masked logits across
# channels, where the paper's code takes each masked image's softmax over
# classes. Its Eigen-CAM centres the activations before the SVD, which the
# paper does not, and takes whatever sign the SVD returns.

# %% [markdown]
# ## Summary
#
# - Every CAM method is $\mathrm{ReLU}(\sum_k W^k A^k)$ with its own weight;
#   on a GAP + linear head at its last layer CAM, Grad-CAM, HiResCAM and
#   XGrad-CAM are one map (up to $hw$ and the ReLU). That is not a bug.
# - Sanity checks separate the methods: a map that survives randomising the
#   classifier explains the features, not the decision. Grad-CAM passes;
#   Grad-CAM++, Layer-CAM and Eigen-CAM largely do not on this model.
# - Faithfulness (deletion, insertion) and ground truth measure different
#   things; state the baseline, and rank only on clear differences.
# - Cost: gradient methods 1 forward + partial backward; Score-CAM and
#   Ablation-CAM $1 + K$ forwards per map.
#
# ## What the course did not cover, and where to go
#
# - **Vision transformers.** A ViT has no feature maps, but a grid of
#   patch tokens: drop the class token, reshape the $N = hw$ tokens of a
#   block's output into $[K, h, w]$ (a `reshape_transform`), and Grad-CAM
#   applies; attention rollout (Abnar & Zuidema 2020) and the relevance
#   propagation of Chefer et al. (2021) were built for transformers.
# - **Detection and segmentation.** The score is then a box's class score
#   or the sum of a class's pixel logits; pytorch-grad-cam's targets for
#   Faster R-CNN and semantic segmentation, and Eigen-CAM for YOLO, show how.
# - **Other evaluations.** ROAD (Rong et al. 2022) removes pixels without
#   leaving the data distribution; Hooker et al. (2019) retrain after
#   removal (ROAR); Quantus collects many metrics.

# %% [markdown]
# ## Exercises
#
# Each exercise ends with a check; the answers start as `None`. The worked
# solutions are in a notebook of their own,
# [solutions/07_trust_solutions.ipynb](solutions/07_trust_solutions.ipynb),
# so that no answer shows under its exercise: try first.
#
# **Exercise 1: the constant.** On `gap_cnn`'s last feature maps, by what
# number must Grad-CAM's map be multiplied to give $\mathrm{ReLU}(M_c)$,
# CAM after the ReLU? (Section 2 of the theory; check it on a few scenes.)

# %%
factor = None  # a number
checks.check_gap_grad_cam_factor(factor)

# %% [markdown]
# **Exercise 2: the cost of Score-CAM.** How many forward passes (one image
# through the model counts one) does `score_cam` make for 10 images on
# `gap_cnn.features`, which has 64 channels?

# %%
passes = None  # a whole number
checks.check_forward_passes(passes, images=10, channels=64)

# %% [markdown]
# ### Open exercises
#
# 1. Run the cascading randomisation for Score-CAM on 8 scenes. Does it
#    pass, as its paper claims?
# 2. Replace the deletion baseline `"grey"` with `"blur"`: does the ranking
#    of the methods change?
# 3. Explain `gap_cnn.features[2]` (32×32) with Grad-CAM and Layer-CAM:
#    which one finds the head, and why does Layer-CAM's paper recommend
#    earlier layers?
