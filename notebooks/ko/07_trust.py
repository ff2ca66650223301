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

# %% [markdown] en="8a32b6542166"
# # 07 · 맵을 믿을 수 있을까? 정답에 비추어 시험한 CAM 계열
#
# ## 이 노트북의 목표
#
# 이 노트북은 코스의 추가 노트북입니다. Grad-CAM 다음에는 HiResCAM,
# Grad-CAM++, XGrad-CAM, Layer-CAM, Score-CAM, Ablation-CAM, Eigen-CAM으로
# 이어지는 한 계열의 방법이 나왔습니다. 논문마다 사진에 그린 그림을 보여 주며
# 자기 맵이 더 낫다고 주장합니다. 그러나 사진에서는 증거(evidence)가 어디에 있는지
# 아무도 모르므로, 어느 맵이 *옳은지* 아무도 말할 수 없습니다. 우리 세계는
# 압니다: 머리(head)가 클래스를 정하고, 몸통(body)의 색조는 약한 증거이며,
# 배경은 아무 증거도 아닙니다. 이 노트북에서는 이 계열을 구현하고, 이 분야가
# 설명을 위해 제안한 시험(건전성 검사(sanity check), 삭제와
# 삽입(deletion and insertion))을 모든 방법에 적용하며, 각 방법을
# 정답(ground truth)에 비추어 채점합니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - 각 클래스 활성화 맵(class activation map, CAM) 방법을 그 가중치(weight)
#   규칙으로 쓰고, 그 방법이 순전파(forward pass)와 역전파를 몇 번 치르는지 말할 수
#   있습니다;
# - 전역 평균 풀링(global average pooling, GAP) + 선형 헤드(head)에서는 CAM,
#   Grad-CAM, HiResCAM, XGrad-CAM이 하나의 맵임을 보이고, 이들이 어디서
#   갈라지는지 말할 수 있습니다;
# - Adebayo 등의 건전성 검사(연쇄 무작위화, 섞은 레이블로 학습한 모델)를
#   실행하고 그 Spearman과 SSIM을 읽을 수 있습니다;
# - 베이스라인(baseline)을 밝히면서 삭제 곡선과 삽입 곡선으로
#   충실도(faithfulness)를 측정하고, 그 순위를 정답에 비춘 순위와 비교할 수
#   있습니다.
#
# ### 차례
#
# **이론**: 1. 가중치 규칙으로 본 CAM 계열 · 2. GAP 헤드 위의 하나의 맵 ·
# 3. 건전성 검사 · 4. 충실도 · 5. 정답
#
# **실습**: 1. GAP 헤드 위의 하나의 맵, 그리고 갈라지는 곳 ·
# 2. 두 모델에 적용한 모든 방법 · 3. 표 · 4. 건전성 검사 ·
# 5. 순위는 일치하는가?
#
# **토론과 요약**, **코스가 다루지 않은 것**, 자체 확인이 딸린 **연습
# 문제**(exercise); 풀이(solution)는 별도의 노트북에 있습니다.
#
# ### 참고 문헌
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
# - Petsiuk, Das, Saenko (2018). *RISE* (삭제와 삽입). BMVC.
# - Wang, Bovik, Sheikh, Simoncelli (2004). *Image quality assessment: from
#   error visibility to structural similarity* (SSIM). IEEE TIP.
# - Gildenblat and contributors. *pytorch-grad-cam* (우리가 비교하는 라이브러리).

# %% [markdown] en="3beac412a764"
# ## 이론
#
# ### 1. 가중치 규칙으로 본 CAM 계열
#
# 설명하는 층의 채널 $k$, 위치 $(i, j)$의 값을 $A^k_{ij}$, 클래스
# 점수(class score), 곧 로짓(logit)을 $y^c$라 쓰고,
# $g^k_{ij} = \partial y^c / \partial A^k_{ij}$라 합시다. 아래의 모든 방법은
# $\mathrm{ReLU}\big(\sum_k W^k_{ij} A^k_{ij}\big)$를 돌려주며, 서로 다른 것은
# 가중치 $W$뿐입니다:
#
# | 방법 | 가중치 $W^k_{ij}$ | 맵 하나당 패스 |
# |---|---|---|
# | Grad-CAM | $\frac{1}{hw}\sum_{ij} g^k_{ij}$ (채널마다 하나) | 순전파 1번 + 그 층까지의 역전파 |
# | HiResCAM | $g^k_{ij}$ (채널과 위치마다 하나) | 같음 |
# | Grad-CAM++ | $\sum_{ij}\alpha^{k}_{ij}\,\mathrm{ReLU}(g^k_{ij})$, $\alpha^k_{ij} = \frac{(g^k_{ij})^2}{2(g^k_{ij})^2 + \sum_{ab}A^k_{ab}(g^k_{ij})^3}$ | 같음 |
# | XGrad-CAM | $\sum_{ij}\frac{A^k_{ij}}{\sum_{ab}A^k_{ab}}g^k_{ij}$ | 같음 |
# | Layer-CAM | $\mathrm{ReLU}(g^k_{ij})$ | 같음 |
# | Score-CAM | $\mathrm{softmax}\big(y(x\odot H^k)\big)_c$, $H^k$ = 업샘플링(upsampling)하고 최소-최대 정규화한 $A^k$ | 순전파 $1 + K$번 |
# | Ablation-CAM | $(y^c - y^c_{A^k=0})/y^c$ | 순전파 $1 + K$번 |
# | Eigen-CAM | 첫 번째 주성분 방향에 사영한 $A$: 클래스를 쓰지 않음 | 순전파 1번, SVD 한 번 |
#
# Score-CAM과 Ablation-CAM은 그래디언트(gradient)가 필요 없는 대신 채널마다
# 순전파를 한 번씩 해야 합니다: 채널이 $K = 64$개이면 맵 하나에 65번의
# 패스가 들고, Grad-CAM은 순전파 한 번과 부분 역전파 한 번이면 됩니다.
#
# ### 2. GAP 헤드 위의 하나의 맵
#
# GAP 다음에 선형 층이 오면 $y^c = \frac{1}{hw}\sum_{ij}\sum_k w^c_k
# A^k_{ij}$이므로, *모든 위치에서* $g^k_{ij} = w^c_k / hw$입니다. 그러면
# Grad-CAM의 가중치는 $w^c_k/hw$이고, HiResCAM의 가중치도 같으며(그래디언트가
# 이미 자기 자신의 평균이므로), XGrad-CAM의 가중치는
# $\sum_{ij}\frac{A^k_{ij}}{\sum A^k}\,\frac{w^c_k}{hw} = w^c_k/hw$입니다. 세
# 방법 모두 $\mathrm{ReLU}(M_c)/hw$, 즉 양의 상수 배와 ReLU를 빼면 CAM과
# 같습니다. 공개 라이브러리에 "HiResCAM과 Grad-CAM이 같은 맵을 준다"는 버그
# 보고가 올라오는 것도 이 때문입니다: ResNet의 마지막 층(GAP + 선형)에서는
# 두 맵이 같을 수밖에 없습니다. 이들은 그래디언트가 위치에 따라 달라지는
# 곳, 즉 flatten 헤드 뒤나 더 앞쪽 층에서 갈라집니다. Layer-CAM과
# Grad-CAM++는 음의 그래디언트를 버리므로 여기서도 다를 수 있습니다.
#
# ### 3. 건전성 검사
#
# Adebayo 등(2018)은 맵이 모델이 학습한 것에 의존하는지를 묻습니다. **연쇄
# 무작위화**(cascading randomisation): 층을 위쪽부터 하나씩 다시 초기화하고,
# 한 단계마다 맵을 다시 계산합니다. **레이블 무작위화**(label
# randomisation): 같은 네트워크를 섞은 레이블로 학습합니다. 맵이 거의 바뀌지
# 않는다면, 그 맵은 모델이 아니라 이미지(가장자리, 밝은 얼룩)를 보여 주는
# 것입니다. 맵은 픽셀의 Spearman 순위 상관과 SSIM으로 비교합니다. SSIM은
# Wang 등(2004)의 구조적 유사도(structural similarity)로, 11픽셀 가우시안
# 창($\sigma = 1.5$) 아래의 평균, 분산, 공분산으로 계산합니다:
#
# $$\mathrm{SSIM}(a, b) = \frac{(2\mu_a\mu_b + C_1)(2\sigma_{ab} + C_2)}
#   {(\mu_a^2 + \mu_b^2 + C_1)(\sigma_a^2 + \sigma_b^2 + C_2)},$$
#
# 이 값을 위치에 대해 평균하며, 맵은 $[0, 1]$로 정규화하고 64×64로
# 업샘플링한 것을 씁니다($C_1 = 0.01^2$, $C_2 = 0.03^2$).
#
# ### 4. 충실도: 삭제와 삽입
#
# Petsiuk 등(2018): 맵이 가장 높게 매긴 픽셀을 한 번에 비율 $s$씩 지우면서
# 클래스 확률을 지켜봅니다. **삭제**는 그 픽셀을 중간 회색(0.5)으로 바꿉니다;
# 충실한 맵이라면 확률이 빠르게 떨어지므로 곡선 아래 넓이가 *작을수록*
# 좋습니다. **삽입**은 가우시안($\sigma = 5$ 픽셀)으로 흐리게 만든 이미지에서
# 시작해 상위 픽셀을 되돌려 놓습니다; 넓이가 *클수록* 좋습니다. 베이스라인은
# 지표의 일부입니다: 회색 픽셀은 모델이 한 번도 본 적 없는 색이고, 흐려진
# 머리는 제 색을 그대로 지닙니다.
#
# ### 5. 정답
#
# 우리 장면(scene)에는 생물(creature)의 마스크(mask)와 머리(`part_masks`)가
# 함께 주어집니다. 머리에 대한 **포인팅 게임**(pointing game)(맵의 최고점(peak)이
# 머리에 떨어지는가?), 머리, 몸통, 배경에 놓인 **맵의 양(+)의 질량
# 비율**(Score-CAM 논문의 에너지 기반 포인팅 게임을 영역별로 나눈 것), 그리고
# 물체 전체에 대해서는 노트북 04의 **MaxBoxAccV2**와 **PxAP**를 씁니다.

# %% [markdown] en="e0ab329bf25c"
# ## 실습
#
# 헤드가 가장 다른 두 모델인 `gap_cnn`(GAP + 선형)과 `flatten_cnn`(flatten +
# 완전 연결), 고정된 테스트 장면, `course_utils.cam`의 방법들과
# `course_utils.trust`의 시험들을 씁니다. 비용이 큰 방법은 채널마다 순전파가
# 한 번씩 필요하므로, 비교에는 처음 24개의 테스트 장면을 씁니다(건전성
# 검사에는 16개).

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="6e2f63f5a9f0"
# ### 1. GAP 헤드 위의 하나의 맵, 그리고 갈라지는 곳
#
# `gap_cnn`의 마지막 특징 맵(feature map)($16 \times 16$ 위치)에서는 Grad-CAM,
# HiResCAM, XGrad-CAM에 $hw = 256$을 곱하면 모두
# $\mathrm{ReLU}(\mathrm{CAM})$이 되어야 합니다. 차이는 맵의 최댓값에 대한
# 비율로 비교합니다.

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


# %% [markdown] en="bc34da832d15"
# 이제 갈라지는 곳입니다. `flatten_cnn`의 헤드를 거쳐 온 그래디언트는 위치마다
# 다릅니다. `gap_cnn`의 세 번째 블록(`features[4]`)에서도 그렇습니다: 이
# 블록의 출력은 GAP 전에 1×1 블록을 하나 더 지나기 때문입니다. 각 경우에
# HiResCAM과 Grad-CAM을 업샘플링한 맵의 Spearman 순위 상관으로 비교하고,
# 장면에 대해 평균합니다(1이면 픽셀의 순위가 똑같다는 뜻입니다). 장면은
# 64개입니다.

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

# %% [markdown] en="ac854077035b"
# ### 2. 두 모델에 적용한 모든 방법
#
# 각 방법은 24개 장면에서 참 클래스를 마지막 특징 맵에서 설명합니다; 원래의
# 맵을 그대로 보관하고, 방법마다 걸린 시간을 잽니다.

# %%
maps, seconds = {}, {}
for model_name, model in models.items():
    for name, (method, _) in METHODS.items():
        start = time.perf_counter()
        maps[model_name, name] = method(model, model.features, few.images, few.labels)
        seconds[model_name, name] = time.perf_counter() - start
print("computed", len(maps), "sets of maps of shape", tuple(maps["gap_cnn", "Grad-CAM"].shape))

# %% [markdown] en="43bf5babff25"
# 모델마다 장면 두 개에 모든 방법을 보입니다. 각 맵은 따로 정규화해 이미지
# 위에 겹쳐 그렸습니다(빨간색: 높은 값).

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

# %% [markdown] en="fd340fb760af"
# ### 3. 표: 정답, 충실도, 비용
#
# 각 모델과 방법에 대해 다음을 구합니다: 머리에 대한 포인팅 게임(`point`; 4픽셀
# 이내, 즉 16×16 맵의 한 칸: 머리는 작고, 거친 맵의 최고점은 흔히 머리 바로
# 옆에 떨어집니다), 머리 / 몸통 / 배경(`head` / `body` / `bg`)에 놓인 맵의 양(+)의
# 질량 비율, MaxBoxAccV2와 PxAP(`box`, `pxap`; 물체 전체), 픽셀의 1/6씩
# 6단계로 잰 삭제(`del`; 회색, 낮을수록 좋음)와 삽입(`ins`; 흐림, 높을수록
# 좋음)의 곡선 아래 넓이, 그리고 맵 하나당 패스(`passes`).

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

# %% [markdown] en="0bf9c3b6aeaa"
# ### 4. 건전성 검사
#
# `gap_cnn`의 **연쇄 무작위화**를 위쪽부터 진행합니다: 먼저 선형 헤드, 그다음
# 백본(backbone)의 블록을 마지막 블록부터 첫 블록까지. 한 단계가 끝날 때마다
# 각 방법의 맵을 학습된 모델의 맵과 비교합니다(Spearman과 SSIM, 16개 장면의
# 평균). 이 헤드에서는 HiResCAM과 XGrad-CAM이 곧 Grad-CAM이므로(1절), 세
# 방법을 대표해 Grad-CAM을 보이고, 여기에 Grad-CAM++, Layer-CAM, Eigen-CAM을
# 더합니다. Score-CAM과 Ablation-CAM은 여기서 뺍니다: 5단계마다 맵 하나에
# 65번의 패스를 치르면 실행 시간의 대부분을 차지할 것이기 때문입니다(두
# 방법은 아래의 레이블 검사를 받습니다).

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

# %% [markdown] en="de7b4717ff7e"
# Grad-CAM++의 선은 Layer-CAM의 선 바로 밑에 거의 정확히 겹쳐 있습니다: 이
# 헤드에서는 둘 다 양의 그래디언트만으로 채널에 가중치를 줍니다. Spearman으로
# 보면 Grad-CAM의 맵은 헤드가 무작위가 되자마자 학습된 모델의 맵에서 이미 멀리
# 벗어나지만(약 0.3), Grad-CAM++, Layer-CAM, Eigen-CAM은 백본이 무너지기
# 전까지 0.9에서 1.0 가까이에 머뭅니다. SSIM은 Grad-CAM에 대해 더 온건한
# 이야기를 합니다(처음에 약 0.5): 정규화된 맵은 두 경우 모두 대부분이 낮은
# 배경이고, SSIM은 그 공통의 평평한 배경에 점수를 줍니다. 두 척도를 함께
# 읽어야 합니다.

# %% [markdown] en="f893c3504043"
# **레이블 무작위화.** `gap_cnn_permuted_labels`는 같은 종류의 장면에서, 고정된
# 시드(seed)로 레이블을 섞어 학습한 같은 네트워크입니다: 이 모델은 일부 학습
# 장면의 레이블을 통째로 외웠을 뿐, 생물에 대해서는 아무것도 배우지
# 않았습니다. 같은 클래스에 대한 이 모델의 맵은 학습된 모델의 맵과 전혀
# 닮지 않아야 합니다.

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

# %% [markdown] en="cc27be85ee61"
# ### 5. 순위는 일치하는가?
#
# 두 모델 각각에서 방법들의 순위를 정답(맵 중 머리에 놓인 비율, 출력의
# `head share (truth)`)과 각 충실도 척도(`deletion`, `insertion`)로 매기고, 그
# 순서를 비교합니다.

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

# %% [markdown] en="ad3674c72142"
# 24개 장면에서 각 방법의 실행 시간(이 컴퓨터, 이번 실행):

# %%
for (model_name, name), s in seconds.items():
    print(f"{model_name:<12}{name:<13}{s:6.2f} s")
gradient_seconds = [seconds[m, n] for m in models for n in ("Grad-CAM", "HiResCAM", "XGrad-CAM")]
forward_seconds = [seconds[m, n] for m in models for n in ("Score-CAM", "Ablation-CAM")]
print(f"Score-CAM and Ablation-CAM take {min(forward_seconds) / max(gradient_seconds):.0f} to "
      f"{max(forward_seconds) / min(gradient_seconds):.0f} times as long as Grad-CAM, HiResCAM "
      f"and XGrad-CAM here")

# %% [markdown] en="a272d87fe426"
# ## 토론
#
# 위의 수치를 다음 질문들에 비추어 읽어 봅시다; 증거는 표와 건전성 검사의
# 표들입니다.
#
# **어느 방법이 증거를 찾는가?** `gap_cnn`에서는 모든 방법이 거의 같은 맵을
# 주며, 그래디언트 방법들은 그럴 수밖에 없습니다(1절): 머리 비율, 박스
# 점수(`box`)와 픽셀 점수(`pxap`)가 0.01에서 0.03 이내로 일치하는데, 이만한
# 차이는 24개 장면으로 가려낼 수 없습니다. GAP + 선형 헤드의 마지막 층에서는
# 어떤 방법을 고르든 상관이 없습니다. `flatten_cnn`에서는 방법들이
# 갈라집니다: 각 위치에 그 위치 자신의 그래디언트로 가중치를 주는 HiResCAM과
# Layer-CAM은 질량의 가장 큰 비율을 머리에 둡니다(0.11에서 0.13에 비해 0.18과
# 0.17). 반면 채널마다 가중치가 하나인 그래디언트 방법들(Grad-CAM,
# Grad-CAM++, XGrad-CAM)은 최고점이 머리 근처에 더 자주 떨어지고(0.83에 비해
# 0.92; 역시 채널마다 가중치가 하나인 Score-CAM은 0.88), 물체 전체를 더 잘
# 덮습니다(MaxBoxAccV2, PxAP).
# 어떤 방법도 질량의 5분의 1조차 머리에 두지 못합니다: 머리는 이미지의 몇
# 퍼센트에 불과하고, 16×16 맵을 64×64로 업샘플링하면 주변으로 번지기
# 때문입니다.
#
# **어느 방법이 건전성 검사를 통과하는가?** Grad-CAM(여기서는 같은 맵인
# HiResCAM, XGrad-CAM과 함께)은 헤드가 무작위화되자마자 바뀝니다(Spearman 약
# 0.3): 통과입니다. Grad-CAM++와 Layer-CAM은 분류기(classifier)를 무작위
# 가중치로 바꾼 뒤에도 맵의 대부분을 유지합니다(Spearman 0.9): 이 방법들은
# *양의* 그래디언트만으로 채널에 가중치를 주고, 이 헤드에서는 그러면 맵이 특징
# 맵 자체에 좌우됩니다. Eigen-CAM은 클래스도 그래디언트도 쓰지 않으므로,
# 헤드를 무작위화해도 전혀 바뀌지 않습니다(Spearman 1.00); 백본이 파괴되어야
# 비로소 바뀝니다. 이 세 맵은 분류기가 특징을 어떻게 쓰든 상관없이 *특징*이
# 무엇에 반응하는지(대체로 생물)를 보여 줍니다: 바로 Adebayo 등이 경고한
# 실패이며, Grad-CAM++, Layer-CAM, Eigen-CAM 논문의 그림이 암시하는 바와는
# 다릅니다. 섞은 레이블로 학습한 모델에서는 모든 방법의 맵이 학습된 모델의
# 맵에서 멀리 벗어납니다(Spearman 0.24 이하, SSIM 0.27 이하): 모든 방법이 이
# 검사를 통과하므로, 여기서는 두 검사 가운데 이쪽이 더 약한 검사입니다.
# 논문에서 건전성 검사를 통과한다고 밝힌 Score-CAM은 레이블 검사를 실제로
# 통과합니다.
#
# **충실도와 정답은 일치하는가?** `gap_cnn`에서는 삭제 넓이와 삽입 넓이가
# 모든 방법에서 소수 둘째 자리까지 같으므로, 그 순위는 잡음이 정하며 아무것도
# 말해 주지 않습니다. `flatten_cnn`에서도 차이는 조금 더 클 뿐입니다: 삽입
# 넓이는 모든 방법에서 소수 둘째 자리까지 0.94이고, 삭제 넓이는 0.32에서
# 0.35 사이이며 Grad-CAM, HiResCAM, Layer-CAM이 0.32로 같습니다. 출력된 순서는
# 있지만, 24개 장면에서 0.01보다 작은 차이로는 순위를 매길 수 없습니다. 말할 수
# 있는 것은 머리에 질량이 가장 많은 방법들(HiResCAM, Layer-CAM)이 증거를 가장
# 빨리 지우는 축에 든다는 것, 그리고 삽입으로는 방법들을 가려낼 수 없다는
# 것뿐입니다. 충실도는 하나의 베이스라인 아래에서 모델이 픽셀을 어떻게 쓰는지를
# 잽니다; 옳음을 재는 척도가 아닙니다.
#
# **각 방법의 비용은?** 그래디언트 방법은 순전파 한 번과 그 층에서 멈추는
# 역전파 한 번이 들며, 24개 장면에 1초도 훨씬 안 걸립니다; Score-CAM과
# Ablation-CAM은 맵 하나에 $1 + K = 65$번의 순전파가 필요하고 몇 배나 더 오래
# 걸립니다(위에 출력한 비율; 기계에 따라 다릅니다); Eigen-CAM은 순전파 한 번과
# 이미지마다 작은 고유값 문제 하나입니다. 논문들은 Score-CAM과 Ablation-CAM이 그래디언트 없이 동작한다는
# 점을 장점으로 내세우지만, 여기서는 그 덕분에 더 나은 맵을 얻지는 못합니다.
#
# **pytorch-grad-cam과 다른 점.** 우리 함수는 논문을 따릅니다;
# `tests/test_cam_family_agreement.py`가 이 함수들을 pytorch-grad-cam과 비교해
# 확인합니다(그 라이브러리의 정규화와 크기 조정을 거친 뒤 1e-4 이내).
# Grad-CAM, HiResCAM, XGrad-CAM, Layer-CAM, Ablation-CAM은 일치합니다. 그
# 라이브러리의 Grad-CAM++는 $\alpha$의 분모에 $10^{-6}$을 더하는데, 이 값은
# 그래디언트가 작을 때 차이를 만듭니다. 그 라이브러리의 Score-CAM은 $K$개의
# 마스크된 로짓에 채널 방향으로 softmax를 취하는 반면, 논문의 코드는 마스크된
# 이미지마다 클래스에 대해 softmax를 취합니다. 그 라이브러리의 Eigen-CAM은
# SVD 전에 활성화를 중심화하는데 논문은 그렇게 하지 않으며, 부호도 SVD가
# 돌려주는 대로 씁니다.

# %% [markdown] en="f10f860a2d3a"
# ## 요약
#
# - 모든 CAM 방법은 저마다의 가중치를 쓰는 $\mathrm{ReLU}(\sum_k W^k A^k)$입니다;
#   GAP + 선형 헤드의 마지막 층에서는 CAM, Grad-CAM, HiResCAM, XGrad-CAM이
#   ($hw$와 ReLU를 빼면) 하나의 맵입니다. 이것은 버그가 아닙니다.
# - 건전성 검사는 방법들을 가려냅니다: 분류기를 무작위화해도 살아남는 맵은
#   결정이 아니라 특징을 설명합니다. Grad-CAM은 통과합니다; Grad-CAM++,
#   Layer-CAM, Eigen-CAM은 이 모델에서 대체로 통과하지 못합니다.
# - 충실도(삭제, 삽입)와 정답은 서로 다른 것을 잽니다; 베이스라인을 밝히고,
#   차이가 뚜렷할 때만 순위를 매겨야 합니다.
# - 비용: 그래디언트 방법은 순전파 1번 + 부분 역전파; Score-CAM과
#   Ablation-CAM은 맵 하나에 순전파 $1 + K$번.
#
# ## 코스가 다루지 않은 것, 그리고 더 나아갈 곳
#
# - **비전 트랜스포머(vision transformer).** ViT에는 특징 맵 대신 패치 토큰의
#   격자가 있습니다: 클래스 토큰을 버리고, 한 블록 출력의 $N = hw$개 토큰을
#   $[K, h, w]$로 바꾸면(`reshape_transform`) Grad-CAM을 적용할 수 있습니다;
#   어텐션 롤아웃(attention rollout, Abnar & Zuidema 2020)과 Chefer 등(2021)의
#   관련도 전파(relevance propagation)는 트랜스포머를 위해 만들어진
#   방법입니다.
# - **객체 탐지(object detection)와 분할(segmentation).** 이때 점수는 박스
#   하나의 클래스 점수, 또는 한 클래스에 속한 픽셀 로짓의 합입니다;
#   pytorch-grad-cam의 Faster R-CNN과 의미론적 분할(semantic segmentation)용
#   타깃, 그리고 YOLO용 Eigen-CAM이 그 방법을 보여 줍니다.
# - **다른 평가 방법.** ROAD(Rong 등 2022)는 데이터 분포를 벗어나지 않게
#   픽셀을 제거합니다; Hooker 등(2019)은 제거한 뒤 다시 학습합니다(ROAR);
#   Quantus는 여러 지표를 모아 둔 라이브러리입니다.

# %% [markdown] en="801b365fa13a"
# ## 연습 문제
#
# 각 연습 문제는 확인으로 끝납니다; 답은 `None`에서 시작합니다. 풀이는 별도의
# 노트북 [solutions/07_trust_solutions.ipynb](solutions/07_trust_solutions.ipynb)에
# 있어서, 어떤 답도 연습 문제 아래에 보이지 않습니다: 먼저 직접 풀어
# 보십시오.
#
# **연습 문제 1: 상수.** `gap_cnn`의 마지막 특징 맵에서, Grad-CAM의 맵에 어떤
# 수를 곱해야 ReLU를 거친 CAM인 $\mathrm{ReLU}(M_c)$가 됩니까? (이론 2절;
# 몇 개의 장면에서 확인해 보십시오.)

# %%
factor = None  # a number
checks.check_gap_grad_cam_factor(factor)

# %% [markdown] en="a2fdeb33819a"
# **연습 문제 2: Score-CAM의 비용.** 채널이 64개인 `gap_cnn.features`에서
# `score_cam`은 이미지 10장에 대해 순전파를 몇 번 합니까? (이미지 한 장이
# 모델을 한 번 지나가면 1번으로 셉니다.)

# %%
passes = None  # a whole number
checks.check_forward_passes(passes, images=10, channels=64)

# %% [markdown] en="ef815094213e"
# ### 열린 연습 문제
#
# 1. Score-CAM의 연쇄 무작위화를 8개 장면에서 실행해 보십시오. 논문의 주장대로
#    통과합니까?
# 2. 삭제 베이스라인 `"grey"`를 `"blur"`로 바꿔 보십시오: 방법들의 순위가
#    바뀝니까?
# 3. `gap_cnn.features[2]`(32×32)를 Grad-CAM과 Layer-CAM으로 설명해 보십시오:
#    어느 쪽이 머리를 찾습니까? 그리고 Layer-CAM 논문은 왜 더 앞쪽 층을
#    권합니까?
