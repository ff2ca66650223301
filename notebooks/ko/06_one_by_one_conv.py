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

# %% [markdown] en="26cb3f1dc131"
# # 06 · 클래스 맵 헤드로서의 1×1 합성곱
#
# ## 이 노트북의 목표
#
# 노트북 02는 분류기(classifier) 안에 숨어 있는 클래스 활성화 맵(class
# activation map, CAM)을 찾아냈습니다: 전역 평균 풀링(global average pooling,
# GAP) 뒤에 선형 층 하나가 오면 클래스 점수(class score)는 맵 $M_c(x, y)$의
# 평균이고, 그 맵을 계산하려면 네트워크 안에서 특징 맵(feature map)을 건져 내야
# 했습니다. 이 노트북은 헤드(head)의 순서를 뒤집습니다. 선형 층을 풀링 *앞에*, 클래스마다
# 출력 채널이 하나인 1×1 합성곱(1×1 convolution)으로 두면, 네트워크가 순전파(forward pass)
# (forward pass) 안에서 클래스 맵을 직접 계산하고, 그다음 GAP가 각 맵을 평균 내어
# 그 클래스의 점수로 만듭니다. 두 헤드가 같은 함수임을 먼저 작은 텐서에서, 그다음
# 코스의 모델에서 보이고, 두 헤드로 각각 독립적으로 학습한 모델들의 맵을 비교한
# 뒤, 코스를 마무리합니다. 처음부터 분명히 말해 둡니다: 함께 제공되는 `gap_cnn`과
# `conv_head_cnn`은 *한 번의 학습을 두 번 계산한 것*입니다(같은 시드(seed), 같은
# 배치, 그리고 아래의 동치 관계에 따라 같은 갱신 단계). 그래서 둘이 일치하는 것은
# 동치 관계가 작동하는 모습을 보여 줄 뿐, 서로 독립적인 두 증거(evidence)가 아닙니다. 독립적인
# 증거는 다른 시드로 학습한 `conv_head_cnn`입니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - 1×1 합성곱을 모든 위치에 적용되는 선형 층 하나로 설명하고, 그 파라미터(parameter) 수를
#   세고, 선형 층의 가중치(weight)를 1×1 합성곱의 가중치로 옮겨 쓸 수 있습니다;
# - "GAP 다음 선형"과 "1×1 합성곱 다음 GAP"가 같은 가중치로 같은 점수를 계산하는
#   이유를 유도하고, 헤드를 어떻게 바꾸면(편향, ReLU, 최대 풀링) 그 성질이
#   유지되거나 깨지는지 말할 수 있습니다;
# - 훅(hook) 없이 네트워크의 헤드에서 클래스 맵을 바로 읽어 내고, 그것이 CAM임을
#   수치로 확인할 수 있습니다;
# - 두 모델의 맵을 노트북 04의 척도(MaxBoxAccV2, PxAP, 영역별 평균 맵)와 상관계수로
#   비교하고, 진짜 재현(replication)과 공유된 난수 시드를 구별할 수 있습니다;
# - 이 코스가 가르친 것과 더 읽어 볼 곳을 말할 수 있습니다: Grad-CAM++,
#   Score-CAM, LayerCAM, 중요도 맵(saliency map)의 건전성 검사(sanity check),
#   그리고 공정한 약지도 객체 위치 추정(weakly supervised object localization,
#   WSOL) 평가.
#
# ### 차례
#
# **이론**
# 1. 1×1 합성곱은 모든 위치에 적용되는 선형 층이다
# 2. 클래스 맵 헤드: 1×1 합성곱, 그다음 GAP
# 3. GAP 다음 선형과 같은 함수
# 4. 무엇이 달라지고, 무엇이 동치를 깨는가
#
# **실습**
# 1. 손으로 하는 1×1 합성곱
# 2. 클래스 맵이 헤드에서 나온다
# 3. 하나의 함수, 두 헤드: 가중치 옮기기
# 4. 함께 제공되는 한 쌍: 한 번의 학습, 두 번의 계산
# 5. 독립적으로 학습한 헤드들: 숫자로
# 6. 독립적으로 학습한 헤드들: 그림으로
# 7. 미끄러지는 분류기
#
# **토론과 요약**
#
# **한 쪽으로 보는 코스**, 그리고 **다음에 읽을 것**
#
# **연습 문제**(exercise, 자체 확인 포함)와 열린 연습 문제. 풀이(solution)는 별도의
# 노트북에 있습니다.
#
# ### 참고 문헌
#
# - Lin, Chen, Yan (2014). *Network In Network.* ICLR. arXiv:1312.4400.
#   ("mlpconv" 층으로서의 1×1 합성곱; 클래스마다 맵 하나에 대한 GAP)
# - Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke,
#   Rabinovich (2015). *Going Deeper with Convolutions.* CVPR. (GoogLeNet:
#   비용이 큰 3×3, 5×5 합성곱 앞에서 채널 수를 줄이는 1×1 합성곱; 분류기 앞의
#   평균 풀링)
# - Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer (2016). *SqueezeNet:
#   AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size.*
#   arXiv:1602.07360. (1×1 "squeeze" 층; 분류기로 쓰는, 1,000개 클래스로 가는
#   1×1 합성곱과 그 뒤의 전역 평균 풀링)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM)
# - Zhang, Wei, Feng, Yang, Huang (2018). *Adversarial Complementary
#   Learning for Weakly Supervised Object Localization.* CVPR. (ACoL. 그
#   분류기들이 1×1 합성곱 헤드입니다)
# - Choe, Oh, Lee, Chun, Akata, Shim (2020). *Evaluating Weakly Supervised
#   Object Localization Methods Right.* CVPR. (MaxBoxAccV2, PxAP)
#
# 코스를 마친 뒤에 읽을 목록은 맨 끝에 따로 절을 두었습니다.

# %% [markdown] en="ee9219289974"
# ## 이론
#
# ### 1. 1×1 합성곱은 모든 위치에 적용되는 선형 층이다
#
# $1 \times 1$ 커널을 가진 합성곱(convolution)은 한 번에 한 위치만 봅니다.
# 가중치 텐서의 모양은 `[C, K, 1, 1]`입니다: $C$개의 출력 채널마다 입력 채널 하나에
# 숫자 하나씩입니다. 위치 $(x, y)$에서 이 합성곱은 다음을 계산합니다:
#
# $$
# g_c(x, y) = \sum_{k=1}^{K} w_k^c \, f_k(x, y) \; (+\, b_c),
# $$
#
# 곧 모든 위치에서 $K$개 채널 값의 똑같은 가중합입니다. 한 위치의 채널 값들을
# 벡터 $\mathbf f(x, y) = (f_1(x, y), \dots, f_K(x, y))$로 놓으면, 1×1 합성곱은
# 이 벡터에 선형 층 $W \in \mathbb{R}^{C \times K}$ 하나를 적용하며, 모든 위치에서
# *같은* 층을 적용합니다. 채널은 섞지만 위치는 결코 섞지 않으므로, 입력의 공간
# 배치(그리고 수용 영역(receptive field))를 그대로 유지합니다. 파라미터는
# `nn.Linear(K, C)`의 것과 같습니다: 특징 맵의 크기와 상관없이 가중치 $KC$개, 편향이
# 있다면 거기에 $C$개가 더해집니다.
#
# Lin, Chen, Yan(2014)은 보통의 합성곱 뒤에 이런 층을 쌓아("mlpconv": 이미지
# 위를 미끄러지는 작은 다층 퍼셉트론) 각 위치의 특징을 그 위치 채널들의 비선형
# 함수로 만들었습니다. GoogLeNet(Szegedy 등, 2015)은 각 Inception 모듈에서 비용이
# 큰 3×3, 5×5 합성곱 앞에 1×1 합성곱을 두어 채널 수를 *줄였고*, SqueezeNet(Iandola
# 등, 2016)은 이런 "squeeze" 층을 중심으로 네트워크 전체를 쌓았습니다. 이 코스의
# 백본(backbone)도 1×1 블록으로 끝나는데, 이 블록은 수용 영역을 넓히지 않고 채널을
# 섞습니다.
#
# ### 2. 클래스 맵 헤드: 1×1 합성곱, 그다음 GAP
#
# Network in Network는 완전 연결 분류기도 바꾸었습니다: 마지막 층이 클래스마다 출력
# 채널을 하나씩 가지고, 전역 평균 풀링이 그 맵 각각을 해당 클래스의 점수로
# 바꿉니다. 하지만 NIN이 공개한 모델들은 이 부분이 선형이 아닙니다: CIFAR-10용 NIN
# Caffe 모델은 마지막 1×1 합성곱(클래스마다 하나씩, 채널 10개) 뒤, 전역 평균 풀링
# 앞에 ReLU를 적용합니다. 4절과 연습 문제 4가 따로 구분하는 비선형 헤드입니다.
# *선형* 버전, 곧 편향 없는 1×1 합성곱이 곧바로 GAP로 이어지는 헤드가 CAM의 항등식에
# 필요한 헤드이며, ACoL(노트북 05)이 분류기를 만들 때 쓰는 헤드입니다. 클래스가 $C$개이고
# 이런 헤드가 백본의 특징 맵 $f_k(x, y)$($h \times w$개 위치) 위에 있을 때:
#
# $$
# M_c(x, y) = \sum_k w_k^c f_k(x, y), \qquad
# S_c = \frac{1}{hw} \sum_{x, y} M_c(x, y).
# $$
#
# 첫 번째 식은 기호 하나하나까지 노트북 02의 클래스 활성화 맵입니다. 선형 1×1
# 헤드의 출력이 *곧* CAM이라는 것은 Zhang 등이 ACoL 논문의 "Revisiting CAM" 절에서
# 명제 1(Proposition 1)로 밝힌 내용입니다: 클래스 활성화 맵은 이런 완전 합성곱
# 네트워크의 마지막 합성곱 층이 내는 클래스별 특징 맵에서 바로 읽어 낼 수 있습니다.
# 이 헤드에서는 맵을 나중에 재구성하지 않습니다: 맵은 풀링 바로 앞 층의 출력, 곧
# 순전파가 어차피 계산하는 `[N, C, h, w]` 텐서입니다. 코스의 `ConvHeadCNN`이 이렇게
# 만들어져 있고, `model.class_maps(images)`가 그 텐서를 돌려줍니다. 훅도, 그래디언트
# (gradient)도, 어느 층을 들여다봐야 하는지에 대한 지식도 필요 없습니다.
#
# ### 3. GAP 다음 선형과 같은 함수
#
# 노트북 02의 헤드는 먼저 풀링하고 그다음 가중합을 합니다:
# $F_k = \frac{1}{hw}\sum_{x,y} f_k(x, y)$, 그다음 $S_c = \sum_k w_k^c F_k$.
# 두 단계 모두 유한한 합이고, 유한한 합은 순서를 바꿀 수 있습니다:
#
# $$
# \sum_k w_k^c \underbrace{\frac{1}{hw} \sum_{x, y} f_k(x, y)}_{F_k}
# \;=\; \frac{1}{hw} \sum_{x, y} \underbrace{\sum_k w_k^c f_k(x, y)}_{M_c(x, y)}.
# $$
#
# 따라서 백본과 가중치(한쪽에서는 모양 `[C, K]`, 다른 쪽에서는 `[C, K, 1, 1]`인
# $W$)가 같은 `GapCNN`과 `ConvHeadCNN`은 모든 이미지에 대해 같은 점수를 냅니다. 둘
# 다 특징 맵에서 점수로 가는 선형 사상이며, 두 선형 단계의 순서만 다릅니다.
# 컴퓨터에서 "같다"는 반올림 오차 범위 안에서 같다는 뜻입니다: float32는 같은 숫자를
# 다른 순서로 더하고, 결과는 마지막 몇 비트에서 달라집니다.
#
# 여기서 둘이 *학습*도 같은 방식으로 한다는 것이 따라 나옵니다: 같은 파라미터의
# 같은 함수는 그래디언트도 같습니다. 같은 가중치에서 출발해 같은 배치를 보면, 두
# 모델은 같은 갱신 단계를 밟을 것입니다. 이 이야기는 실습 4절에서 다시 만납니다.
#
# ### 4. 무엇이 달라지고, 무엇이 동치를 깨는가
#
# - **편향.** 편향 $b_c$가 있는 1×1 합성곱은 모든 위치에 $b_c$를 더합니다. 상수의
#   평균은 그 상수이므로 점수에는 $b_c$가 더해지며, 선형 층의 편향과 정확히
#   같습니다. 동치는 유지됩니다. 이때 맵에는 일정한 오프셋이 실리는데, 최소-최대
#   정규화가 이를 없앱니다(CAM은 이를 빼고 계산합니다).
# - **비용.** 풀링 전에 가중합을 하면 $hw$개 위치에서 $C$개의 맵을 계산하므로,
#   곱셈-덧셈이 $C K$번이 아니라 $C K h w$번입니다. 클래스가 몇 개뿐이라면 백본에
#   비해 아무것도 아니지만, 큰 맵에서 클래스가 1,000개라면 무시할 수 없게 됩니다.
# - **두 단계 사이의 ReLU.** 그러면 $S_c = \frac{1}{hw} \sum_{x,y}
#   \mathrm{ReLU}(M_c(x, y))$가 되는데, 이는 평균의 $\mathrm{ReLU}$도 아니고, GAP
#   뒤의 어떤 선형 층도 아닙니다. SqueezeNet이 그 자리에 ReLU를 두고, NIN이 공개한
#   CIFAR-10 모델도 그렇습니다(2절). 클래스 맵은 여전히 헤드에서 읽어 낼 수 있지만,
#   이제 점수는 반대 증거를 무시합니다.
# - **평균 풀링 대신 최대 풀링.** $\max_{x,y} \sum_k w_k^c f_k(x, y)$는
#   $\sum_k w_k^c \max_{x,y} f_k(x, y)$가 아닙니다: 채널마다 최고점(peak)의 위치가 다를 수
#   있기 때문입니다. 이때 점수는 맵의 최고점 값이고, 그래디언트는 한 위치에만
#   닿습니다.
#
# 연습 문제 4에서 이런 헤드들을 분류해 봅니다.

# %% [markdown] en="f2934e24d0ef"
# ## 실습
#
# 두 헤드를 각각 가진, 함께 제공되는 모델 두 개, 고정된 테스트 장면(scene)들,
# CAM, 그리고 노트북 04의 위치 추정 척도가 필요하며, 모두 `course_utils`에서
# 가져옵니다. 많은 장면에 함수를 한 배치씩 적용하는 작은 도우미 함수는 직접
# 만듭니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="bbe9d871e9bb"
# ### 1. 손으로 하는 1×1 합성곱
#
# 네트워크에 앞서, 눈으로 읽을 수 있을 만큼 작은 텐서부터 봅니다: 2×3 위치로
# 이루어진 특징 맵 $K = 3$개와, $C = 2$개 클래스의 가중치입니다. 정수만 쓰면 모든
# 합이 정확하므로 가깝다는 것이 아니라 *같다*는 것을 물을 수 있습니다. 클래스 맵을
# 세 가지 방법으로 계산합니다: `einsum`으로 쓴 공식, 1×1 커널을 쓰는 PyTorch의
# `F.conv2d`(가중치에 크기 1인 축 두 개가 필요합니다), 그리고 각 위치의 채널
# 벡터에 적용하는 보통의 선형 층(채널 축을 맨 뒤로 옮기고, 적용하고, 다시 제자리로
# 옮깁니다).

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

# %% [markdown] en="5142a101a7a6"
# 이제 이 장난감 예제에서 이론 3절의 두 헤드를 봅니다: 각 클래스 맵을 평균
# 내거나(1×1 합성곱, 그다음 GAP), 각 채널을 먼저 평균 내고 그 평균에 가중치를
# 적용합니다(GAP, 그다음 선형).

# %%
# NBVAL_CHECK_OUTPUT
conv_then_gap = maps_conv.mean(dim=(2, 3))  # [1, C]
gap_then_linear = F.linear(f.mean(dim=(2, 3)), W)  # [1, C]
print("1x1 conv, then GAP:", [round(s, 4) for s in conv_then_gap[0].tolist()])
print("GAP, then linear:  ", [round(s, 4) for s in gap_then_linear[0].tolist()])
print("equal up to rounding:", torch.allclose(conv_then_gap, gap_then_linear))

# %% [markdown] en="40ba8f35e347"
# 합의 순서를 바꾼 식이 약속한 대로, 같은 두 점수가 나옵니다. (`equal`이 아니라
# `allclose`를 쓰는 이유: 6개 위치로 나누는 것은 부동소수점에서 더 이상 정확하지
# 않고, 두 순서는 서로 다르게 반올림됩니다.)

# %% [markdown] en="beefebcc0d95"
# ### 2. 클래스 맵이 헤드에서 나온다
#
# `conv_head_cnn`은 코스의 백본 뒤에 이론 2절의 클래스 맵 헤드를 붙인 모델입니다:
# `classifier`라는 이름의 편향 없는 `Conv2d(64, 4, kernel_size=1)`, 그다음 GAP.
# Network in Network의 헤드와 다른 점은 1×1 합성곱과 풀링 사이에 ReLU가 없다는
# 것입니다(NIN의 mlpconv 층과, NIN이 공개한 CIFAR-10 모델의 마지막 층에는 ReLU가
# 있습니다). 그래서 이 헤드의 맵은 특징에 대해 선형이며, 정확히 CAM입니다.
# `gap_cnn`과 같은 방법(시드, 장면, 에포크, 옵티마이저)으로 처음부터 학습했으며,
# 매니페스트에 두 모델 모두 기록되어 있습니다.

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

# %% [markdown] en="54694765a712"
# 두 헤드에는 같은 256개의 숫자가 있고, 한쪽에서는 `[4, 64, 1, 1]`, 다른 쪽에서는
# `[4, 64]` 모양입니다. **`conv_head_cnn`은 풀링하기 전에 무엇을 계산할까?**
# `class_maps`는 백본과 1×1 합성곱을 실행하고 멈춥니다: 이미지마다 클래스당 하나씩,
# 16×16 맵 네 개입니다. 파랑 생물(creature)이 있는 테스트 장면 4를 골라, 각 맵을 평균 내면 모델의
# 로짓(logit)이 되는지 확인합니다.

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

# %% [markdown] en="e95729b18d4f"
# 각 로짓은 해당 맵의 평균입니다. 그러면 각 클래스의 점수는 어디에서 올까요? 아래는
# 정규화하기 전의 원시 맵 네 개를, 0을 중심으로 한 하나의 색 척도로 그린 것입니다:
# 보라색은 그 클래스를 지지하는 증거, 주황색은 그 클래스에 반하는 증거입니다(색이
# 클래스의 색과 겹치지 않는 척도입니다). 맵의 픽셀 하나하나가 16×16 격자의 한
# 위치(이미지의 4×4 칸 하나)입니다.

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

# %% [markdown] en="008217af9fc3"
# 파랑 클래스의 맵에는 생물의 머리가 있는 곳에 강한 보라색 점이 하나 있고, 나머지는
# 0에 가깝습니다. 이 맵의 평균이 가장 큰 로짓입니다. 나머지 세 맵은 대부분 약간
# 음수이고, 같은 머리 위에 주황색 점이 있습니다: 파랑 머리는 빨강, 초록, 노랑에
# *반하는* 증거입니다. 크고 미지근한 맵 위의 작고 매우 강한 점은 평균을 내면 그리
# 크지 않은 로짓이 됩니다. 맵의 값이 로짓보다 열 배 넘게 큰 값에 이르는 이유가
# 이것입니다.
#
# 여기에는 훅이 전혀 필요하지 않았습니다: 맵은 모델이 로짓으로 가는 길에 계산하는
# 텐서입니다.

# %% [markdown] en="5d33b2859794"
# ### 3. 하나의 함수, 두 헤드: 가중치 옮기기
#
# 이론 3절에 따르면 `conv_head_cnn`의 백본과 헤드 가중치를 가진 `GapCNN`은 같은
# 함수입니다. 그 쌍둥이를 만들어 봅니다: 새 `GapCNN`에 백본의 상태를 복사하고,
# 1×1 커널의 가중치에서 크기 1인 두 축을 떨어낸 것을 선형 층의 가중치로 씁니다.
# 그다음 처음 50개 테스트 장면에서 다음을 비교합니다.
#
# - 쌍둥이의 로짓(GAP, 그다음 선형)과 `conv_head_cnn`의 로짓(1×1 합성곱, 그다음
#   GAP);
# - `course_utils.cam.class_activation_map`으로 구한 쌍둥이의 CAM(훅이 특징 맵을
#   읽고, 그다음 노트북 02의 `einsum`)과 `conv_head_cnn`이 직접 계산한 맵, 네
#   클래스 모두.
#
# `class_activation_map`은 `conv_head_cnn`도 그대로 받습니다: 1×1 `classifier`를
# 찾아 그 가중치를 $w_k^c$로 씁니다. 이것도 함께 확인합니다.

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

# %% [markdown] en="952de593576c"
# float32 반올림 오차 범위 안에서 로짓도 같고 맵도 같습니다(맵의 값은 약 100까지
# 이르고, 두 맵은 백만분의 1보다 더 가깝게 일치합니다). 종이 위에서는 두 구조,
# 실제로는 하나의 함수입니다: 1×1 합성곱 헤드가 *곧* 순전파 안에서 계산되는
# CAM입니다.

# %% [markdown] en="6c0b042ee3b9"
# ### 4. 함께 제공되는 한 쌍: 한 번의 학습, 두 번의 계산
#
# 위의 쌍둥이는 만들 때부터 가중치를 공유했습니다. 함께 제공되는 `gap_cnn`과
# `conv_head_cnn`은 각자 자기 헤드로 학습했지만, 방법은 같았습니다: 시드 0(가중치를
# 뽑기 전에 `torch.manual_seed(0)`, 그리고 같은 순서로 섞은 장면과 뒤집기). 두
# 구조는 초기 가중치를 같은 순서로 뽑고, `[4, 64]` 헤드든 `[4, 64, 1, 1]` 헤드든
# 같은 64개 입력에서 같은 규칙으로 뽑으므로, 둘은 똑같이 *출발*합니다. 그리고 이론
# 3절에 따라 같은 파라미터의 같은 함수는 그래디언트도 같으므로, 같은 갱신 단계를
# 밟습니다. 출발점은 코스 자체의 학습 코드가 보여 주고, 도착점은 함께 제공되는
# 가중치가 보여 줍니다.

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

# %% [markdown] en="5657f0eb6788"
# 출발할 때는 똑같고, 끝날 때도 거의 같은 네트워크입니다: 0.005보다 크게 다른
# 가중치가 하나도 없고(가중치의 크기는 백본에서 0.272, 헤드에서 0.441까지
# 이릅니다), 코사인 유사도는 1.000이며, 학습 손실은 소수점 넷째 자리까지 같습니다.
# 둘을 조금이나마 벌려 놓은 것은 float32 반올림뿐입니다. 한 헤드는 위치에 대해
# 먼저 더하고, 다른 헤드는 채널에 대해 먼저 더하기 때문입니다. 두 모델의 맵은
# 거의 완벽하게 일치할 것입니다(다음 절에서 측정합니다). 하지만 그것은 학습
# 전체에 걸쳐 동치 관계가 작동하는 모습일 뿐, 서로 독립적인 두 결과가 아닙니다. 1×1
# 합성곱 헤드를 따로 학습시켰을 때 GAP 헤드가 보는 곳을 볼지는 이것으로 알 수
# 없습니다.

# %% [markdown] en="ffa0cf7deedf"
# ### 5. 독립적으로 학습한 헤드들: 숫자로
#
# 그 질문을 위해 코스는 세 번째 모델을 함께 제공합니다: `conv_head_cnn_seed3`,
# 같은 방법으로 시드 3에서 학습했으므로 초기 가중치도 배치 순서도 자기만의
# 것입니다. (왜 시드 1이 아닐까요? 4절에 따르면 시드 1로 학습한 `ConvHeadCNN`은
# `gap_cnn_seed1`과 같은 학습이 됩니다. 시드 3을 쓰는 `GapCNN`은 함께 제공되지
# 않습니다.) 두 학습은 헤드*와* 시드가 모두 다르므로, 대조군을 하나 더합니다:
# 시드 1로 학습한 GAP 헤드, `gap_cnn_seed1`입니다. 1×1 헤드가 무언가를 바꾼다면,
# `gap_cnn` 대 `conv_head_cnn_seed3`(다른 헤드, 다른 시드)의 차이가 `gap_cnn` 대
# `gap_cnn_seed1`(같은 헤드, 다른 시드)의 차이보다 클 것입니다.
#
# 네 모델 모두에 대해 테스트 장면 1,000개 전부, 네 클래스 전부의 맵을 계산합니다:
# `gap_cnn`의 CAM은 특징 맵과 `fc` 가중치로부터 손으로(`class_activation_map`이
# 실행하는 바로 그 `einsum`), `ConvHeadCNN`들의 맵은 헤드에서 바로 읽습니다. 모델마다
# 순전파 한 번이면 되고, 각 모델의 로짓은 그 맵들의 평균입니다.

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

# %% [markdown] en="973412df473b"
# 노트북 04가 방법을 채점하듯이 각 모델을 채점합니다: 정답 클래스의
# 맵(GT-known)을 최소-최대 정규화하고 64×64로 업샘플링(upsampling)한 다음,
#
# - **MaxBoxAccV2**: 100개 임계값(threshold) 중 가장 좋은 것에서의 박스 정확도를 IoU
#   수준 0.3, 0.5, 0.7마다 구해 평균 낸 것(Choe 등, 2020). 모든 연결 성분의 박스를
#   씁니다;
# - **PxAP**: 생물의 마스크(mask)에 대한 맵의 픽셀 정밀도-재현율 곡선 아래 넓이;
# - **포인팅 게임**(pointing game): 맵의 최고점이 생물 위에 떨어지는가?
# - 머리(판별적인 부분), 생물의 나머지 부분, 배경 위에서의 **정규화된 맵의 평균**;
#
# 그리고 그보다 먼저 테스트 정확도(평균이 가장 큰 맵의 클래스)를 구합니다.
# `gap_cnn`과 같은 학습인 `conv_head_cnn`은 이 표에서 뺍니다(아래 상관계수가
# 보여 주듯이 그 맵은 `gap_cnn`의 맵과 같습니다). 그래서 이 표를 계산하는 비용이
# 4분의 1 줄어듭니다.

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

# %% [markdown] en="ea67ef0965ca"
# 독립적으로 학습한 1×1 헤드는 `gap_cnn`의 복사본이 아니고, 무엇이 움직이는지도
# 척도마다 다릅니다. **달라지지 않는 것**: 세 모델 모두 모든 테스트 장면을 올바르게
# 분류합니다. MaxBoxAccV2는 0.003 이내에 머물고(0.299 대 0.296), 세 모델 모두
# 노트북 04에서 본 CAM의 실패, 곧 IoU 0.5에 이르는 박스가 장면 열 개 중 하나
# 정도뿐인 실패(0.091에서 0.118)를 그대로 보입니다. 그리고 모든 맵이 머리 위에서는
# 뜨겁고(0.86에서 0.88) 생물의 나머지 부분에서는 미지근합니다(0.35). **달라지는
# 것**: PxAP는 최대 0.018(0.364 대 0.346), IoU 0.3과 0.5에서의 최고 박스 정확도는
# 최대 0.027씩 서로 반대 방향으로 달라져서, 그 평균인 MaxBoxAccV2는 거의 움직이지
# 않습니다. 그리고 무엇보다 포인팅 게임이 0.692 대 0.593(+0.099)으로 달라집니다:
# 가장 뜨거운 픽셀 하나가 정확히 어디에 떨어지는지, 작은 머리 바로 위인지 바로
# 옆인지가 새 시드가 가장 크게 바꾸는 것입니다. 그리고 대조군도 그만큼 움직입니다:
# 시드 1의 GAP 헤드는 같은 척도에서 같은 크기만큼 `gap_cnn`과 다릅니다(포인팅 게임
# +0.068, PxAP +0.012, IoU 0.3과 0.5에서 -0.026과 +0.027). 따라서 이 차이들은 시드와
# 함께 오는 것이고, 어느 것도 헤드를 가리키지 않습니다.
#
# 두 모델의 맵을 직접 비교하려면 장면마다, 두 맵의 모양이 같은지 물으면 됩니다: 두
# 16×16 맵의 피어슨 상관계수입니다. 상관계수는 크기와 오프셋을 무시하므로, 먼저
# 정규화해도 달라지는 것이 없습니다. 비교 기준으로, 각 `gap_cnn` 맵을 다른 모델의
# *다음* 장면 맵과도 상관시켜 봅니다: 서로 다른 장면의 두 맵이 그저 클래스 맵이라는
# 이유만으로 공유하는 정도입니다. 그리고 가중치 자체는 얼마나 닮았을까요? 헤드의
# 가중치 256개의 코사인 유사도가 그것을 알려 줍니다.

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

# %% [markdown] en="957e665324bc"
# 같은 학습인 `conv_head_cnn`의 맵은 `gap_cnn`의 맵과 완벽하게 상관되고(가장 나쁜
# 장면에서도 1.000), 헤드 가중치도 그렇습니다. 독립적으로 학습한 모델들의 헤드 가중치는 `gap_cnn`의
# 것과 아무 공통점이 없습니다(코사인 유사도가 0에 가깝습니다: 각 학습이 64개 채널에
# 저마다의 방식으로 번호를 매기기 때문입니다). 그런데도 정답 클래스의 맵은 평균
# 0.975로 상관되며, 서로 다른 장면의 맵들 사이의 0.03보다 훨씬 높습니다. 가장 나쁜
# 장면도 0.86에 이릅니다(대조군은 0.88). 장면에 없는 클래스의 맵은 덜
# 일치합니다(평균 0.95, 가장 나쁜 경우 0.55에서 0.62). 이번에도 시드 3의 1×1 헤드와 시드 1의 GAP 헤드는
# `gap_cnn`에서 똑같이 멀리 떨어져 있습니다: 안의 구조는 다르게 만들어진,
# 독립적으로 학습한 네트워크들이 어느 헤드가 읽어 내든 같은 증거를 찾아냅니다.

# %% [markdown] en="f370a41dbbaf"
# ### 6. 독립적으로 학습한 헤드들: 그림으로
#
# 클래스마다 장면 하나씩, 정답 클래스의 맵을 `gap_cnn`(위), 독립적인 1×1
# 헤드(가운데), 대조군(아래) 순으로 보입니다. 맵은 [0, 1]로 정규화해 이미지 위에
# 겹쳤고, 생물의 윤곽선은 흰색으로 그렸습니다.

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

# %% [markdown] en="a569a5ca5285"
# 열마다 세 맵은 같은 머리 위에서 뜨겁고, 몸통 위로 가면서 거의 같은 방식으로
# 옅어집니다. 노트북 04가 진단하고 노트북 05가 고치려 했던, 물체를 충분히 덮지
# 못하는 문제입니다. 세 맵은 세부에서, 곧 따뜻한 영역이 얼마나 멀리 퍼지는지와
# 그 최고점이 정확히 어디에 있는지에서 다르며, 5절에서 포인팅 게임과 PxAP를
# 움직인 것이 바로 이 차이입니다. 두 경우의 차이는 같은 종류입니다: 헤드가
# 가중합보다 풀링을 먼저 하든 나중에 하든, 그 차이를 만드는 것은 새 시드입니다.

# %% [markdown] en="e360dadce2fc"
# ### 7. 미끄러지는 분류기
#
# 맵을 헤드에서 읽어 낸다는 데서 따라 나오는 결과가 하나 더 있습니다:
# `conv_head_cnn`은 *완전 합성곱*(fully convolutional) 네트워크입니다. 모든 값
# $M_c(x, y)$는 이미지의 한 창(그 위치를 둘러싼 수용 영역)에 대한 분류기의
# 판정이므로, 더 큰 이미지를 넣으면 모델을 전혀 바꾸지 않아도 헤드가 그저 더 큰
# 맵을 돌려줍니다. 테스트 장면 두 개, 빨강 생물과 파랑 생물을 나란히 붙여 64×128
# 이미지 하나로 만들고, 한 번의 순전파로 헤드에서 빨강 맵과 파랑 맵을 읽어 냅니다.

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

# %% [markdown] en="5699b1b848bc"
# 빨강 맵은 빨강 생물의 머리에, 파랑 맵은 파랑 생물의 머리에 불이 들어옵니다: 장면
# 하나씩으로 학습한 분류기가 공짜로 거친 탐지기가 된 것입니다. (CAM을 쓰는
# `gap_cnn`도 훅을 통해 같은 일을 할 수 있습니다. 요점은 여기서는 맵이 헤드의
# 평범한 출력이라는 것입니다. 이렇게 넓은 이미지의 점수는 두 절반 전체의
# 평균이므로 두 생물을 뒤섞을 것입니다: 점수보다 맵이 더 많은 것을 알려 줍니다.)

# %% [markdown] en="a7d25daf64c5"
# ## 토론
#
# - **맵이 어디에서 나오는지는 순서의 선택입니다.** 채널에 가중치를 곱해 더한 다음
#   풀링하면 클래스 맵은 중간 결과이고, 풀링한 다음 가중합을 하면 맵은 재구성해야
#   합니다. 점수, 가중치, 파라미터 수, 그래디언트는 같습니다. 달라지는 것은 무엇이
#   손에 쥐어져 있느냐입니다: 1×1 헤드는 모델을 실행하는 모든 코드에, 학습 손실까지
#   포함해, 맵을 건네줍니다. ACoL(노트북 05)이 분류기를 1×1 합성곱 헤드로 만드는
#   이유가 이것입니다: ACoL은 학습의 순전파 *도중에* 분류기 A의 맵이 뜨거운 곳에서
#   특징 맵을 지워야 하는데, 맵이 바로 거기 있습니다.
# - **동치는 선형 헤드에서만 정확합니다.** 편향은 동치를 유지하고, 합성곱과 풀링
#   사이의 ReLU(SqueezeNet의 선택)나 최대 풀링은 동치를 깹니다(연습 문제 4). 그런
#   헤드에서도 헤드에서 읽어 낸 맵은 여전히 유익하지만, 더 이상 점수가 정확히 어떻게
#   퍼져 있는지를 나타내지는 않습니다.
# - **비교하는 것을 측정하세요.** `gap_cnn`과 `conv_head_cnn`의 맵이 하나하나
#   일치하는 것은 둘이 반올림 오차를 빼면 같은 학습이기 때문입니다. 가중치를
#   비교하지 않았다면 그 일치를 헤드 덕분으로 돌리거나, CAM이 학습마다 안정적이라는
#   증거로 읽었을지 모릅니다. 그 일치는 어느 쪽도 보여 주지 않습니다. 시드와 데이터
#   순서를 공유하는 비교는 한 학습을 자기 자신과 비교하는 것입니다. 진짜 질문에 답하는
#   것은 독립적인 학습들입니다: 헤드는 새 시드가 바꾸는 만큼보다 더 바꾸는 것이
#   없고, 새 시드는 정확도와 MaxBoxAccV2는 그대로 두지만 포인팅 게임은 최대 0.099까지
#   움직입니다. 방법마다 학습 한 번은 표본 하나일 뿐입니다.
# - **헤드가 무엇이든 맵은 거칩니다.** 64×64 이미지에 16×16 위치입니다. 해상도를
#   바꾸는 것은 헤드가 아니라 백본의 스트라이드입니다.
#
# ## 요약
#
# - 1×1 합성곱은 모든 위치에 적용되는 선형 층 하나입니다: 가중치 `[C, K, 1, 1]`,
#   파라미터 $KC$개(편향이 있으면 $+C$), 채널은 섞고 위치는 유지합니다.
# - 클래스마다 채널 하나로 가는 편향 없는 1×1 합성곱, 그다음 GAP는 CAM과 ACoL의
#   선형 클래스 맵 헤드입니다(ACoL의 명제 1). GAP 이전의 출력이 클래스 활성화 맵
#   $M_c(x, y) = \sum_k w_k^c f_k(x, y)$입니다: 훅 없이 `model.class_maps`로 얻습니다.
#   클래스마다 맵 하나라는 배치는 Network in Network가 도입했지만, 그 논문이 공개한
#   CIFAR-10 모델은 GAP 앞에 ReLU를 두어 정확한 항등식을 깹니다.
# - GAP 다음 선형과 1×1 합성곱 다음 GAP는 같은 가중치를 가진 같은 함수입니다: 작은
#   텐서에서는 정확히, 코스의 모델에서는 float32 반올림 범위 안에서, 로짓도 맵도
#   마찬가지입니다.
# - 함께 제공되는 `gap_cnn`과 `conv_head_cnn`은 위치 추정 수치가 천분의 몇 이내로
#   같고 맵은 거의 완벽하게 상관됩니다. 같은 가중치에서 출발해, 같은 함수를
#   계산하면서 같은 갱신 단계를 밟았기 때문입니다.
# - 다른 시드로 학습한 1×1 헤드(`conv_head_cnn_seed3`)는 가중치가 전혀 다른데도 그
#   맵은 `gap_cnn`의 맵과 0.975로 상관됩니다. 정확도와 MaxBoxAccV2는 같고(0.003
#   이내), PxAP는 0.018, 포인팅 게임은 0.099 높습니다. 다른 시드로 학습한 GAP 헤드도
#   `gap_cnn`과 그만큼 다릅니다: 차이는 헤드가 아니라 시드와 함께 옵니다.

# %% [markdown] en="dd99075790bb"
# ## 한 쪽으로 보는 코스
#
# 노트북 여섯 개, 그리고 모든 주장을 생물의 마스크, 박스, 머리와 맞대어 확인할 수
# 있었던 작은 세계 하나.
#
# | 노트북 | 배운 것 | 측정한 것 |
# |---|---|---|
# | **01 · 네트워크를 왜 설명해야 할까?** | 정확도는 모델이 *얼마나 자주* 맞는지를 말할 뿐, *왜* 맞는지는 말하지 않습니다. 특징 맵은 *어디*를 간직하고, 헤드는 *무엇*을 정합니다. | 클래스를 드러내는 모서리 글리프와 함께 학습한 모델은 글리프가 있으면 완벽한 점수를 냈고, 같은 장면에서 글리프를 빼면 훨씬 나빴습니다. 그 모델의 클래스 맵은 글리프를 가리켰습니다. |
# | **02 · 전역 평균 풀링과 CAM** | GAP와 선형 층 하나가 있으면 점수는 클래스 맵 $M_c = \sum_k w_k^c f_k$의 평균이며, `einsum` 두 줄이면 됩니다. GAP 헤드는 flatten + 완전 연결 헤드보다 파라미터가 훨씬 적습니다. 업샘플링하기 전에 정규화하세요. | 손으로 구한 CAM이 라이브러리의 것과 같았습니다. 같은 장면에서 클래스마다의 맵. |
# | **03 · Grad-CAM** | 각 특징 맵에 그 평균 그래디언트를 가중치로 곱하고 양수 부분만 남깁니다: 모델을 고치지 않고도 어떤 헤드, 어떤 층에서든 맵을 얻습니다. | GAP 모델에서 Grad-CAM은 양의 상수배를 빼면 CAM입니다. 생물 두 마리 장면에서 맵은 올바른 생물을 가리킵니다(포인팅 게임). 반사실(counterfactual) 맵은 클래스에 반하는 것을 찾아냅니다. |
# | **04 · 약지도학습(weak supervision)** | 이미지 레이블만으로 박스와 마스크를 얻습니다: 맵에 임계값을 적용하고, 연결 성분을 취하고, 박스를 그립니다. 공정하게 측정하세요: MaxBoxAccV2와 PxAP는 여러 IoU 수준에서 전체 세트에 걸쳐 임계값을 고릅니다. | CAM은 판별적인 머리는 덮지만 몸통은 조금밖에 덮지 못하므로(이 노트북에서도: 머리에서 평균 맵 0.86, 생물의 나머지 부분에서 0.35), 박스가 IoU 0.5에 이르는 일이 드뭅니다. |
# | **05 · ACoL** | 분류기 A의 맵이 뜨거운 곳을 지우면 분류기 B는 물체의 나머지를 찾아야 합니다. 두 맵을 합칩니다. | 합친 맵은 몸통을 더 많이 덮지만 배경도 더 많이 덮습니다. 그것이 알짜 이득인지는 지우기 임계값(erase threshold)과 척도에 달려 있으며, Choe 등이 실제 벤치마크에서 발견한 것과 같습니다. |
# | **06 · 1×1 합성곱** | 1×1 합성곱 다음 GAP는 GAP 다음 선형과 같고, 클래스 맵이 헤드의 출력으로 나옵니다. | 로짓과 맵이 반올림 오차 안에서 같았습니다. 함께 제공되는 두 모델은 공유된 시드 때문에 거의 똑같았습니다. 독립적으로 학습한 헤드들은 어느 헤드든 새 시드가 바꾸는 만큼만 다릅니다. |
#
# 여섯 노트북 모두에 세 가지 습관이 흘렀습니다: **손으로 유도하고, 그다음
# 라이브러리를 그것과 맞춰 보기**; **그림을 숫자로 바꾸기**(포인팅 게임,
# MaxBoxAccV2, PxAP, 영역별 평균 맵), 그리고 그 숫자를 정답(ground truth)에 비추어
# 재기; **숫자가 무엇을 보여 줄 수 있고 무엇을 보여 줄 수 없는지 묻기**(지름길을
# 공유하는 테스트 세트, 테스트 세트에서 맞춘 임계값, 시드를 공유하는 두 모델).
#
# ## 다음에 읽을 것
#
# 이 코스는 CAM, Grad-CAM, ACoL에서 멈추었습니다. 이 분야는 멈추지 않았습니다:
#
# - **Grad-CAM++** (Chattopadhay, Sarkar, Howlader, Balasubramanian, WACV
#   2018, arXiv:1710.11063). Grad-CAM은 위치에 걸쳐 그래디언트를 평균 내므로, 물체가
#   크거나 한 클래스의 인스턴스가 여러 개이면 가중치가 희석됩니다. Grad-CAM++는
#   고차 도함수에서 얻은 계수로 각 위치의 *양의* 그래디언트에 가중치를 두며, 여러
#   인스턴스와 물체 전체를 더 잘 덮습니다.
# - **Score-CAM** (Wang, Wang, Du, Yang, Zhang, Ding, Mardziel, Hu, CVPR
#   Workshops 2020, arXiv:1910.01279). 그래디언트를 전혀 쓰지 않습니다: 각 특징 맵을
#   업샘플링하고 정규화해 입력 이미지를 가리고, 그 마스크 아래에서 클래스 점수가
#   늘어나는 양이 그 채널의 가중치가 됩니다. 채널마다 순전파가 한 번씩 필요합니다:
#   더 느리지만, 잡음이 많거나 포화된 그래디언트에서 자유롭습니다.
# - **LayerCAM** (Jiang, Zhang, Hou, Cheng, Wei, IEEE Transactions on Image
#   Processing 2021). 채널마다 가중치 하나를 두는 대신 모든 *위치*에 그 위치 자신의
#   양의 그래디언트로 가중치를 둡니다. 그래서 해상도가 높은 앞쪽 층의 맵도 쓸 수
#   있게 되고(노트북 03의 층 선택기가 Grad-CAM의 맵은 왜 그렇지 못한지 보여
#   주었습니다), 여러 층의 맵을 합쳐 더 세밀하게 위치를 추정할 수 있습니다.
# - **Sanity Checks for Saliency Maps** (Adebayo, Gilmer, Muelly,
#   Goodfellow, Hardt, Kim, NeurIPS 2018, arXiv:1810.03292). 모델의 가중치를 위층부터
#   한 층씩 무작위로 바꾸거나, 무작위 레이블로 모델을 학습시킵니다: 그래도 거의
#   변하지 않는 맵은 모델을 설명하고 있을 수 없습니다. 널리 쓰이는 몇몇 방법(유도
#   역전파(guided backpropagation)도 그중 하나)은 실패하고, Grad-CAM은 통과합니다.
#   새로운 맵을 믿기 전에 읽어 보세요.
# - **Evaluating WSOL Methods Right** (Choe, Oh, Lee, Chun, Akata, Shim,
#   CVPR 2020, arXiv:2001.07437). MaxBoxAccV2와 PxAP의 출처이자, 노트북 05 뒤에 있는
#   정신이 번쩍 드는 발견의 출처입니다. 모든 방법의 하이퍼파라미터를 완전 지도가
#   있는 작은 홀드아웃 분할(held-out split)(`train-fullsup`)에서 조정하고 맵의
#   임계값은 주변화(marginalise)해 없애면, 주요 표(ImageNet과 CUB에서는 MaxBoxAccV2,
#   OpenImages에서는 PxAP, 각각 VGG, Inception, ResNet 백본의 평균)에서 CAM은 62.4 /
#   61.1 / 60.0(합계 61.2), ACoL은 61.2 / 60.0 / 56.3(합계 59.2로 CAM보다 2.0 낮고,
#   그들이 다시 실행한 다섯 방법 중 가장 낮음)입니다. 홀드아웃 완전 지도 분할 자체로
#   학습한 퓨샷 학습 베이스라인(baseline)은 합계 71.9로 모든 WSOL 방법을 앞서며, 이미지 가운데에
#   놓인 가우시안일 뿐인 맵도 52.3을 받습니다.
#
# 그다음에는 합성 세계를 떠나 보세요: `course_utils.pretrained`와 노트북 03은
# torchvision ResNet의 가중치를 구할 수 있는 경우 실제 사진에서 같은 도구를 보여
# 줍니다. pytorch-grad-cam, torchcam 같은 라이브러리가 위 방법들 대부분을 구현하고
# 있으며, 이제 여러분은 그 코드를 읽을 수 있습니다.

# %% [markdown] en="7424be3ac747"
# ## 연습 문제
#
# 각 연습 문제는 확인으로 끝납니다: 셀을 실행하면 무엇이 맞는지, 또는 무엇을
# 기대했는지 알려 줍니다. 답은 `None`으로 시작하므로, 답을 채우기 전까지 확인은
# "아직 아닙니다"라고 말합니다. 풀이는 별도의 노트북
# [solutions/06_one_by_one_conv_solutions.ipynb](solutions/06_one_by_one_conv_solutions.ipynb)에
# 있어서, 연습 문제 아래에 답이 보이지 않습니다: 먼저 직접 풀어 보세요.
#
# **연습 문제 1: 헤드 세기.** SqueezeNet의 분류기는 512개 채널에서 ImageNet의
# 1,000개 클래스로 가는 1×1 합성곱이며, 13×13 위치의 특징 맵에 적용됩니다. 편향이
# 없을 때와 있을 때 파라미터는 각각 몇 개일까요? (직접 계산한 다음 `nn.Conv2d`로
# 확인하세요.)

# %%
without_bias = None  # a whole number
with_bias = None
checks.check_head_parameters(without_bias, with_bias, in_channels=512, num_classes=1000)

# %% [markdown] en="af9dfa0d4660"
# **연습 문제 2: 반대 방향.** 3절에서는 1×1 합성곱의 가중치를 선형 층의 가중치로
# 바꾸었습니다. 이번에는 `gap_cnn`의 선형 가중치 `gap_model.fc.weight`(`[4, 64]`)를
# `ConvHeadCNN`이 `classifier`로 쓸 수 있는 1×1 합성곱의 가중치로 바꾸세요. 확인
# 함수는 여러분의 텐서를 `gap_cnn`의 백본을 가진 `ConvHeadCNN`에 꽂아 로짓을
# 비교합니다.

# %%
conv_weight = None  # a tensor made from gap_model.fc.weight
checks.check_conv_weight(conv_weight)

# %% [markdown] en="d844050daa72"
# **연습 문제 3: 손으로 구하는 클래스 맵.** 장난감 백본이 3×3 위치의 특징 맵 세
# 개, `checks.TOY_FEATURES`(`[3, 3, 3]`: 채널, 행, 열)를 만들었고, 1×1 헤드의
# 가중치는 `checks.TOY_WEIGHTS`(`[2, 3]`: 클래스, 채널)입니다. 둘 다 아래에
# 출력됩니다. 펜과 종이로 풀어 보세요: 행 2, 열 0에서 클래스 맵 $M_1$(클래스 1,
# 가중치의 두 번째 행)의 값은 얼마일까요? 그리고 GAP 다음의 클래스 점수 $S_1$은
# 얼마일까요?

# %%
print("features f_k, one 3x3 map per channel:\n", checks.TOY_FEATURES)
print("weights w_k^c, one row per class:\n", checks.TOY_WEIGHTS)
map_value = None  # M_1 at row 2, column 0
score = None  # S_1
checks.check_toy_class_map(map_value, score)

# %% [markdown] en="143e76091f10"
# **연습 문제 4: 어느 헤드가 GAP 다음 선형과 같은가?** 다음 헤드 중 어느 것이
# 모든 입력에 대해 GAP 뒤에 선형 층을 둔 것과 같은 점수를 계산할까요(가중치는
# 맞추고, 헤드에 편향이 있으면 선형 층에도 편향을 둡니다)? 글자로 답하세요. 예:
# `"ac"`. 잘 모르겠으면 무작위 텐서에 하나씩 시험해 보세요.

# %%
for letter, head in checks.HEADS.items():
    print(f"({letter}) {head}")
answer = None  # letters, e.g. "ac"
checks.check_equivalent_heads(answer)

# %% [markdown] en="a559051152ce"
# ### 열린 연습 문제
#
# 이 문제들에는 자체 확인이 없습니다: 탐구할 질문들이며, 하나하나가 코스에서 한
# 걸음 더 나아갑니다.
#
# 1. **시드에 따른 편차는 얼마나 클까요?** 5절은 헤드마다 다른 시드 하나씩을
#    비교했고, 가장 크게 움직인 것은 포인팅 게임이었습니다. 어느 헤드든 시드를 더
#    학습시켜 보세요. 예를 들어
#    `config = dataclasses.replace(COURSE_MODELS["conv_head_cnn"], seed=4)`,
#    그다음 `course_utils.train`의 `model = build_model(config)`와
#    `train(model, scenes, config)`를 학습 장면
#    `make_scenes(config.n_train, TRAIN_SEED)`로 실행합니다(`make_scenes`는
#    `course_utils.scenes`에서, `TRAIN_SEED`는 `course_utils.train`에서 가져옵니다).
#    두 헤드의 포인팅 게임 점수 차이가 한 헤드의 시드들 사이의 편차보다 클까요?
# 2. **건전성 검사.** Adebayo 등을 따라 `conv_model.classifier.weight`를 같은
#    크기의 난수로 바꾸고, 그다음 백본의 마지막 블록의 가중치도 바꾸면서 맵과,
#    학습된 맵과의 상관계수를 지켜보세요. 그래도 그대로인 맵은 학습이 아니라 구조를
#    설명하고 있는 것입니다.
# 3. **`gap_cnn`에서의 Score-CAM.** 한 장면의 특징 맵 64개를 각각 업샘플링하고
#    정규화한 다음 이미지에 곱하고, 그렇게 가린 이미지에서 그 클래스의 소프트맥스
#    점수를 채널의 가중치로 삼으세요. 5절의 척도로 그 맵을 CAM과 비교해 보세요.
# 4. **SqueezeNet의 헤드.** `classifier`와 풀링 사이에 ReLU를 넣고 학습시킨 다음
#    비교해 보세요: ReLU 이전에 읽은 맵은 여전히 점수와 맞을까요? 위치를 더 잘
#    찾을까요, 더 못 찾을까요?
