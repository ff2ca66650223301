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

# %% [markdown] en="7d5888c9a16c"
# # 풀이 · 03 · Grad-CAM
#
# **각 연습 문제는 먼저 [노트북 03](../03_grad_cam.ipynb)에서 직접 풀어
# 보십시오.** 이 노트북은 어떤 뷰어(GitHub, nbviewer, Binder, JupyterLab)에서도
# 연습 문제(exercise) 아래에 답이 보이지 않도록 강의 노트북과 따로 두었습니다.
#
# 각 풀이(solution)는 `must_pass(...)`로 끝납니다. 이 호출은 연습 문제의 확인
# 결과를 보여 주고, 풀이가 더 이상 확인을 통과하지 못하면 오류를 내며
# 멈춥니다(코스의 테스트가 이 노트북을 실행합니다). 첫 번째 셀은 연습 문제에서
# 쓰는 것을 노트북 03에서와 같은 이름으로 불러옵니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="1970e6c815a0"
# ## 연습 문제 1: ReLU가 버리는 것
#
# $\alpha_k^c$는 그래디언트(gradient)의 공간 평균이고, 맵은 ReLU 없이 특징
# 맵(feature map)을 가중합한 것입니다. pair 장면(scene) 0에서 빨강 맵의 대부분은
# 음수입니다. Grad-CAM의 ReLU는 그 전부를 감춥니다.

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

# %% [markdown] en="d2622ec8ce9f"
# ## 연습 문제 2: 손으로 구하는 alpha
#
# $\partial y / \partial A^1 = \begin{pmatrix} 3 & 0 \\ 0 & 1 \end{pmatrix}$,
# 평균 $\alpha_1 = 1$;
# $\partial y / \partial A^2 = \begin{pmatrix} 0 & -2 \\ 0 & 0 \end{pmatrix} + A^2
# = \begin{pmatrix} 1 & -3 \\ 2 & 2 \end{pmatrix}$, 평균 $\alpha_2 = 0.5$.
# autograd도 같은 값을 냅니다.

# %%
toy = checks.TOY_ACTIVATION.clone().requires_grad_(True)
(toy_gradient,) = torch.autograd.grad(checks.toy_score(toy), toy)
alpha = toy_gradient.mean(dim=(1, 2))
print("alpha:", alpha.tolist())
must_pass(checks.check_toy_alpha(alpha))

# %% [markdown] en="fb0be1038799"
# ## 연습 문제 3: 손으로 하는 가림(occlusion), 그리고 그 점수
#
# 패치 위치마다 가린 사본을 한 배치씩 만들어, 각 이미지 자신의
# 클래스 점수(class score)가 얼마나 떨어지는지 구합니다. 그래디언트는 필요
# 없으므로 `torch.no_grad()`를 씁니다.

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

# %% [markdown] en="765782ef1373"
# ## 연습 문제 4: 어느 생물인가?
#
# 이미지 크기로 업샘플링(upsampling)한 각 맵의 최고점(peak)과, 그로부터 4픽셀 안에
# 있는 가장 가까운 생물(creature).

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
