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

# %% [markdown] en="801c3269b708"
# # 02 · 전역 평균 풀링과 CAM
#
# *백본(backbone), 전역 평균 풀링(global average pooling, GAP), 선형 층 하나*로
# 이루어진 분류기(classifier)는 각 클래스 점수(class score)가 이미지의 어디에서
# 오는지를 추가 비용 없이 알려 줄 수 있습니다. 이 노트북은 그 맵, 곧 **클래스
# 활성화 맵**(class activation map, CAM)을 유도하고, `einsum` 한 줄로 직접 계산해
# 코스 라이브러리의 결과와 맞춰 본 다음, 그 맵이 무엇을 보여 주고 무엇을 보여 줄
# 수 없는지 꼼꼼히 살펴봅니다.
#
# ## 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - 평균 풀링과 최대 풀링을 손으로 계산하고, 각각이 무엇을 높이 쳐 주는지 말할 수
#   있습니다;
# - Network-in-Network의 아이디어(flatten + 완전 연결(fully connected) 층을 전역
#   평균 풀링, 곧 GAP로 바꾸기)를 설명하고, 두 헤드(head)의 파라미터(parameter) 수를 세고, 이
#   변화가 과적합(overfitting)에 어떤 영향을 주는지 측정할 수 있습니다;
# - GAP + 선형 헤드로부터 클래스 활성화 맵 $M_c(x, y) = \sum_k w_k^c f_k(x, y)$를
#   유도하고, `torch.einsum`으로 계산하고, 그 평균이 곧 클래스 점수*임*을 보일 수
#   있습니다;
# - 거친 맵을 이미지 크기로 업샘플링(upsampling)하고, 보간 방법을 고르고, 업샘플링
#   전에 정규화하느냐 후에 정규화하느냐에 따라 결과가 왜 달라지는지 설명할 수
#   있습니다;
# - 예측된 클래스만이 아니라 *어느* 클래스의 맵이든 읽을 수 있고, 어떤 클래스에
#   *반하는* 증거(evidence)와 그 클래스를 지지하는 증거가 그저 없는 것을 구별할 수 있습니다;
# - 맵의 값이 어디에 몰려 있는지 측정하고, CAM의 두 가지 한계를 말할 수 있습니다.
#
# ## 차례
#
# **이론**
#
# 1. 평균 풀링과 최대 풀링
# 2. 두 가지 헤드: flatten + 완전 연결, 또는 전역 평균 풀링(Network in Network,
#    그리고 CAM의 GAP + 선형)
# 3. 클래스 활성화 맵의 유도
# 4. 16x16 맵에서 64x64 이미지로: 업샘플링과 정규화
# 5. CAM에 필요한 것
#
# **실습**
#
# 1. 작은 텐서에서의 풀링
# 2. 두 헤드: 파라미터 수, 그리고 작은 학습 세트에서의 과적합
# 3. CAM을 손으로, 그다음 `course_utils`로
# 4. 업샘플링, 그리고 정규화의 순서
# 5. 모든 클래스의 맵: 드롭다운, 그리고 부호가 있는 원시 맵
# 6. 맵은 어디에 있는가? 머리, 몸통, 배경
# 7. 코드에서 만나는 한계
#
# **토론**: 요약, 그다음 자체 확인이 딸린 연습 문제.
#
# ## 참고 문헌
#
# - M. Lin, Q. Chen, S. Yan. *Network In Network.* ICLR 2014.
#   [arXiv:1312.4400](https://arxiv.org/abs/1312.4400). 3.2절에서 전역 평균 풀링을
#   분류기로 도입합니다.
# - B. Zhou, A. Khosla, A. Lapedriza, A. Oliva, A. Torralba. *Learning Deep
#   Features for Discriminative Localization.* CVPR 2016.
#   [arXiv:1512.04150](https://arxiv.org/abs/1512.04150). CAM 논문입니다. 2절이
#   아래에서 할 유도입니다.
# - J. Howard, S. Gugger. *Deep Learning for Coders with fastai and PyTorch*,
#   18장, "CNN Interpretation with CAM"
#   ([fastbook, 18_CAM.ipynb](https://github.com/fastai/fastbook/blob/master/18_CAM.ipynb)).
#   두 번째로 읽기 좋은 자료입니다: 같은 계산을 실제 사진에서, 훅(hook)을 써서
#   합니다.

# %% [markdown] en="958553a299ee"
# ## 이론
#
# ### 1. 평균 풀링과 최대 풀링
#
# 합성곱(convolution) 백본은 이미지를 $K$개의 **특징 맵**(feature map)
# $f_k(x, y)$로 바꿉니다. 채널 $k$마다 하나씩이고, 각각은 $h \times w$개 위치로
# 이루어진 격자입니다. 풀링은 위치들의 창(window) $R$을 숫자 하나로 요약합니다:
#
# $$
# \text{average:}\quad \frac{1}{|R|} \sum_{(x,y) \in R} f_k(x, y),
# \qquad\qquad
# \text{max:}\quad \max_{(x,y) \in R} f_k(x, y).
# $$
#
# 작은 창(2x2, 스트라이드 2)으로 풀링하면 해상도가 절반이 됩니다. 우리 백본 안에서
# 일어나는 일이 이것입니다. 창 하나가 맵 전체를 덮으면 **전역**(global) 풀링이
# 됩니다: 각 채널이 숫자 하나로 줄어들고, 그 채널이 *어디에서* 반응했는지는
# 잊힙니다. 전역 평균 풀링(GAP)의 결과는 다음과 같습니다:
#
# $$
# F_k = \frac{1}{hw} \sum_{x,y} f_k(x, y).
# $$
#
# 두 요약은 서로 다른 것을 높이 쳐 줍니다. 최대 풀링은 가장 강한 응답 하나만 알려
# 주고 나머지는 무시합니다. 평균 풀링은 응답이 모두 합쳐 얼마나 되는지를 알려
# 주므로, 넓은 영역에서 약하게 반응하는 채널이 한 지점에서 강하게 반응하는
# 채널보다 높은 값을 받을 수 있습니다. Zhou 등이 GAP를 고른 이유가 바로
# 이것입니다: GAP는 네트워크가 물체에서 가장 두드러지는 한 지점만이 아니라 물체의
# *전체 범위*를 찾도록 이끌 것이라는 생각입니다. 이 주장은 실습 6절에서 우리의
# 생물(creature)들로 확인해 봅니다.
#
# ### 2. 두 가지 헤드: flatten + 완전 연결, 또는 GAP + 선형
#
# **헤드**는 특징 맵을 클래스 $c$마다 점수(로짓, logit) $S_c$ 하나로 바꿉니다.
# (CAM 논문을 따라 $S_c$라고 씁니다. 노트북 01에서는 이것을 $z_c$라고 불렀고,
# 노트북 03에서는 Grad-CAM 논문을 따라 $y^c$라고 씁니다. 마찬가지로 특징 맵도
# 여기서는 CAM 논문처럼 $f_k(x, y)$이고, 노트북 03에서는 $A^k_{ij}$가 됩니다.)
# 고전적인 헤드(AlexNet, VGG)는 맵을 긴 벡터 하나로 **펼쳐**(flatten) 완전 연결
# 층에 넣습니다. 모든 채널의 모든 위치가 저마다 가중치(weight)를 가집니다: 왼쪽
# 위에 있는 빨강 생물의 머리와 오른쪽 아래에 있는 빨강 생물의 머리는 서로 다른
# 입력이고, 헤드는 둘 다 따로 배워야 합니다. 우리의 `FlattenCNN`은 먼저
# $16 \times 16$ 맵 $64$개를 최대 풀링으로 $8 \times 8$로 줄이고, 이어서 유닛
# $128$개짜리 은닉층을 둡니다: 그 첫 층 하나만 해도 가중치가
# $64 \cdot 8 \cdot 8 \cdot 128$개입니다.
#
# **Network in Network**(NIN; Lin, Chen & Yan 2014)는 완전 연결 층을 아예
# 없앴습니다. 마지막 층은 *mlpconv* 층(합성곱 하나 뒤에 $1 \times 1$ 합성곱들이
# 이어지는 층)이고, 그 마지막 $1 \times 1$ 합성곱은 **클래스마다 출력 채널
# 하나**를 가집니다. 전역 평균 풀링이 이 맵들을 각각 숫자 하나로 바꾸고, 그 벡터는
# 논문의 표현대로 "곧바로 소프트맥스 층으로"(directly into the softmax layer)
# 들어갑니다: 풀링 뒤에는 선형 층이 없으며, 채널 $c$의 평균이 곧 클래스 $c$의
# 점수*입니다*. (논문과 함께 공개된 참조 모델들, 예컨대 CIFAR-10용 Caffe
# 모델에서는 그 마지막 $1 \times 1$ 합성곱과 풀링 사이에 ReLU가 있어서, 그
# 점수들은 결코 음수가 되지 않습니다.) Lin 등은 세 가지 근거를 듭니다: 각 맵이 한
# 클래스에 속하므로 "특징 맵을 클래스별 신뢰도 맵으로 쉽게 해석할 수 있다"(the
# feature maps can be easily interpreted as categories confidence maps)는 것,
# GAP에는 파라미터가 없으므로 "이 층에서는 과적합이 일어나지 않는다"(overfitting
# is avoided at this layer)는 것, 그리고 GAP는 "공간 정보를 합쳐 없애므로"(sums
# out the spatial information) 물체가 어디에 있든 더 강건하다는 것입니다.
#
# CAM 논문(Zhou 등 2016)은 풀링은 그대로 두고 클래스 가중치를 그 뒤로 옮깁니다:
# 마지막 합성곱 층은 $K$개 채널을 그대로 유지하고, GAP가 각 채널을 $F_k$로 줄이고,
# **선형 층 하나**가 점수를 만듭니다.
#
# $$
# S_c = \sum_k w_k^c F_k \qquad (\text{plus a bias } b_c, \text{ which our models leave out}).
# $$
#
# 이것이 `gap_cnn`의 헤드입니다: 가중치는 $K \times C$개, 여기서는
# $64 \times 4$개이고, GAP에는 여전히 파라미터가 없습니다. NIN의 헤드든 CAM의
# 헤드든 치러야 할 대가는 같습니다: 이제 백본 자신이 *평균*만으로 클래스를 구별할
# 수 있는 맵을 만들어야 합니다. 3절에서 보겠지만, 클래스 맵을 정확하게 만드는 것이
# 바로 이 선형 헤드입니다. NIN처럼 클래스 맵과 풀링 사이에 ReLU가 있으면 그렇지
# 않습니다: 유도가 성립하려면 가중치와 평균 사이에 비선형인 것이 하나도 없어야
# 하기 때문입니다. 노트북 06은 헤드의 순서를 뒤집어, 클래스마다 채널 하나를 가진
# $1 \times 1$ 합성곱 뒤에 GAP를 두는 헤드(ReLU가 없는 NIN의 헤드)가 GAP 뒤에 선형
# 층을 두는 것과 같은 분류기이며, NIN의 신뢰도 맵이 정확히 CAM이라는 것을 보여
# 줍니다.
#
# ### 3. 클래스 활성화 맵의 유도
#
# GAP 헤드의 두 단계를 합치고 두 합의 순서를 바꿉니다(둘 다 유한합이므로 순서는
# 상관없습니다):
#
# $$
# S_c = \sum_k w_k^c \, \frac{1}{hw} \sum_{x,y} f_k(x, y)
#     = \frac{1}{hw} \sum_{x,y} \underbrace{\sum_k w_k^c f_k(x, y)}_{M_c(x, y)} .
# $$
#
# 클래스 $c$의 **클래스 활성화 맵**은
#
# $$
# M_c(x, y) = \sum_k w_k^c f_k(x, y),
# $$
#
# 곧 특징 맵들의 가중합이며, 가중치는 선형 층에서 클래스 $c$에 해당하는 행입니다.
# 해상도는 특징 맵과 같고(우리의 경우 $16 \times 16$), **위치에 대한 평균이 정확히
# 클래스 점수입니다**: $S_c = \frac{1}{hw} \sum_{x,y} M_c(x, y)$. 따라서
# $M_c(x, y)$는 클래스 $c$에 대한 증거 가운데 위치 $(x, y)$가 차지하는 몫입니다:
# 값이 높은 곳은 네트워크가 $c$라고 말하게 만든 무언가를 찾은 곳입니다. (Zhou 등은
# 같은 맵을 $\frac{1}{hw}$ 없이 쓰는데, 이는 맵 전체의 크기를 한꺼번에 바꿀 뿐
# 다른 것은 바꾸지 않습니다. 편향 $b_c$는 모든 위치에 같은 수를 더할 뿐이므로
# CAM에서는 빼 둡니다.)
#
# 지금 짚어 둘 만한 결과가 두 가지 있습니다:
#
# - 맵은 **클래스마다** 하나씩 있고, 모두 같은 특징 맵에서 서로 다른 가중치로
#   만들어집니다. 네트워크가 예측하지 *않은* 클래스의 맵도 구할 수 있습니다.
# - 그래디언트(gradient)도, 두 번째 네트워크도 필요 없습니다: 순전파(forward pass) 한 번과
#   가중합 한 번이면 됩니다.
#
# ### 4. 16x16 맵에서 64x64 이미지로
#
# 맵의 칸 하나는 이미지의 $4 \times 4$ 픽셀 블록 하나를 나타냅니다. 맵을 이미지
# 위에 겹쳐 놓으려면 맵을 **업샘플링**합니다:
#
# - **nearest**(최근접): 각 칸이 $4 \times 4$ 블록이 됩니다. 맵의 실제 해상도를
#   정직하게 보여 주지만, 각져 보입니다.
# - **bilinear**(쌍선형): 칸 중심들 사이를 선형으로 보간합니다. 매끄럽고, 섞는 네
#   칸의 값 범위를 결코 벗어나지 않습니다. CAM 논문과 Grad-CAM 논문이 이 방법을
#   쓰며, 이 코스도 마찬가지입니다.
# - **bicubic**(쌍삼차): 방향마다 네 칸을 지나는 삼차 곡선입니다. 더 매끄럽지만
#   **오버슈트**(overshoot)가 생깁니다: 날카로운 최고점(peak) 옆에서 최고점보다 높이
#   올라가고, 가장 낮은 값보다 아래로 내려갑니다.
#
# 맵은 또 **최소-최대 정규화**(min-max normalisation)를 거칩니다. 그래야 색과
# 임계값(threshold)이 "맵 자신의 범위 가운데 이만큼의 비율"을 뜻하게 됩니다:
#
# $$
# \tilde M_c(x, y) = \frac{M_c(x, y) - \min M_c}{\max M_c - \min M_c} \in [0, 1].
# $$
#
# 두 단계의 순서가 중요합니다. 먼저 정규화하고 업샘플링할 수도
# 있고(`course_utils.maps.to_image`가 하는 방식이며, bicubic의 오버슈트는 다시
# $[0, 1]$로 잘라 냅니다), 먼저 업샘플링하고 정규화할 수도 있습니다: 이 경우에는
# bicubic의 오버슈트가 새 최댓값이 되어 다른 모든 값을 아래로 눌러 버립니다.
# 그러면 노트북 04에서 박스를 그릴 때 쓰는 "최고점의 절반 이상" 같은 임계값이 다른
# 곳을 자르게 됩니다.
#
# ### 5. CAM에 필요한 것
#
# 유도에는 두 가지 사실이 쓰였습니다: GAP가 특징 맵 **바로 뒤에** 오고, GAP 바로
# 뒤에 **선형 층 하나**가 온다는 것입니다. 두 단계 모두 선형이므로 순서를 바꿀 수
# 있습니다. 둘 중 하나라도 깨지면 $f_k(x, y)$를 점수로 바꿔 주는 $w_k^c$는
# 존재하지 않습니다:
#
# - flatten + 완전 연결 헤드는 위치마다 다른 가중치를 주고, 그 안의 ReLU는 선형이
#   아닙니다;
# - 더 앞쪽 층의 특징 맵은 GAP와 선형 층 하나가 아니라, 합성곱, 배치 정규화(batch
#   norm), ReLU를 더 거쳐 점수에 이릅니다. CAM은 **마지막 합성곱 층만**
#   설명합니다.
#
# Grad-CAM(노트북 03)은 가중치를 선형 층이 아니라 그래디언트에서 읽어 내어 두
# 한계를 모두 없앱니다.

# %% [markdown] en="55642c3be46b"
# ## 실습
#
# 아래의 모든 코드는 CPU에서 몇 초 만에 실행됩니다. 모델과 테스트 장면(scene)은
# 코스와 함께 배포되는 것들입니다(`data/manifest.json` 참고): `gap_cnn`과
# `flatten_cnn`은 같은 백본 구조를 공유하고 같은 방식으로 학습되었으며(장면
# 6000개, 6 에포크), 다른 것은 헤드뿐입니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="8191d8e86108"
# ### 1. 작은 텐서에서의 풀링
#
# $4 \times 4$ 특징 맵의 두 채널입니다. 채널 0, "spot"(점)은 한 위치에서 강하게
# 반응하고, 채널 1, "patch"(조각)는 아래쪽 절반 전체에서 중간 세기로 반응합니다.
# 어느 채널이 "더 많이 있다"고 해야 할까요? 2x2 창(스트라이드 2)으로 풀링한 다음,
# 전역으로 풀링해 봅니다.

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

# %% [markdown] en="7dec9888ac5c"
# 두 전역 풀링은 채널의 순위를 정반대로 매깁니다. 전역 최대 풀링은 "spot"을
# 고릅니다(8 대 3): 강한 응답 하나면 충분합니다. GAP는 "patch"를 고릅니다(1.5 대
# 0.5): 반응하는 위치를 모두 셉니다. 이것이 CAM 논문이 GAP를 내세운 논리입니다:
# 높은 점수를 받으려면 채널이 물체 *전체*에서 반응해야 합니다. 우리 네트워크가 이
# 암시를 따르는지는 6절에서 측정합니다.

# %% [markdown] en="af53b37f4845"
# ### 2. 두 헤드
#
# #### 파라미터
#
# 두 모델은 백본이 같습니다. 백본 뒤에 있는 것을 세어 봅니다.

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

# %% [markdown] en="6b35cc059057"
# GAP 헤드는 숫자 $64 \times 4 = 256$개입니다. flatten 헤드는 그보다 2천 배 넘게
# 크고, 백본 전체보다도 거의 스무 배 큽니다: `flatten_cnn`의 파라미터는 거의 다
# 헤드에 있습니다.
#
# #### 과적합
#
# 그 많은 용량이 과적합으로 이어질까요? 매니페스트에는 함께 배포된 모델들의
# 정확도가 기록되어 있습니다:

# %%
# NBVAL_CHECK_OUTPUT
manifest = load_manifest()["models"]
for name in ("gap_cnn", "flatten_cnn"):
    entry = manifest[name]
    print(f"{name:12} trained on {entry['config']['n_train']} scenes: "
          f"train accuracy {entry['train_accuracy']:.3f}, "
          f"test accuracy {entry['test_accuracy']:.3f}")

# %% [markdown] en="316938123e81"
# 여기서는 볼 것이 없습니다: 학습 장면이 6000개이면 두 헤드 모두 처음 보는
# 장면에서 완벽합니다. 과적합은 데이터가 부족할 때 드러나므로, 데이터를 부족하게
# 만들고 비교는 공정하게 합니다:
#
# - 두 헤드에 **고정된 백본 하나**: `flatten_cnn`의 학습된 백본입니다(flatten
#   헤드와 함께 학습되었으므로, 굳이 따지자면 그 헤드에 유리합니다). 헤드만
#   학습하므로, 차이가 난다면 그것은 헤드에서 온 것입니다;
# - 새로 만든 장면 25개에서 400개까지의 **작은 학습 세트**(테스트 세트가 쓰지 않은
#   시드(seed)로 만듭니다), 그리고 측정에 쓸 테스트 장면 1000개;
# - 두 헤드에 **같은 학습**: Adam, 학습률 0.01, 전체 배치로 100 스텝, 같은 시드로
#   초기화한 새 헤드.
#
# 백본은 한 번만 실행하고 그 특징 맵을 보관해 둡니다. 헤드의 첫 단계들(GAP; 최대
# 풀링과 flatten)에는 파라미터가 없으므로 이것들도 한 번만 적용하고, 학습은 배우는
# 층만 건드립니다. 그래서 실험 전체가 몇 초면 끝납니다.

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

# %% [markdown] en="991e43be4d70"
# 학습 세트가 커짐에 따라 학습 결과와 테스트 결과는 어떻게 달라질까요? 과적합은
# 실선(테스트)과 파선(학습) 사이의 간격입니다.

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

# %% [markdown] en="f533861ea2c0"
# 수치가 보여 주는 것:
#
# - **flatten 헤드는 암기합니다**. 모든 학습 세트에서 학습 손실은 사실상 0이고
#   학습 정확도는 완벽하지만, 장면 25개나 50개로 학습하면 테스트 장면의 상당
#   부분을 틀리고, 테스트 손실이 학습 손실보다 훨씬 높습니다: 자신 있게 틀리는
#   것입니다. 일반화하려면 장면이 수백 개 필요합니다. 400개에서는 GAP 헤드를
#   따라잡았고, 테스트 손실은 오히려 둘 중 더 낮습니다. 이것이 과적합입니다: 50만
#   개가 넘는 파라미터는 어떤 작은 학습 세트든, 각 생물이 우연히 어디에 서
#   있었는지까지 포함해 정확히 맞춰 버립니다.
# - **GAP 헤드는 처음 25개 장면부터 일반화합니다**: 학습 손실과 테스트 손실이
#   가깝고, 테스트 정확도는 모든 크기에서 거의 완벽합니다. 가중치가 256개뿐이고
#   위치라는 개념도 없으니, 각 생물이 어디에 서 있었는지를 외울 수 없습니다. 어느
#   채널이 어느 클래스를 뜻하는지만 배울 수 있습니다.
#
# 이 결과를 인용할 때는 설정을 기억하세요: 백본은 장면 6000개로 학습된 뒤 고정되어
# 있으므로, 이 실험은 헤드만을 측정하며, Network in Network의 주장도 바로 헤드에
# 관한 것입니다. 장면 6000개로 종단 간(end to end) 방식으로 학습하면 두 모델 모두
# 100%에 이릅니다(위 참고).

# %% [markdown] en="cdca3a41fc6a"
# ### 3. CAM을 손으로, 그다음 `course_utils`로
#
# 테스트 장면 하나, 파랑 생물을 봅시다. 두 가지가 필요합니다: 마지막 합성곱 층
# `gap_cnn.features`의 특징 맵 $f_k(x, y)$, 그리고 가중치 $w_k^c$, 곧
# `gap_cnn.fc.weight`의 행들(모양 `[classes, K]`)입니다.
#
# **순전파 훅**(forward hook)은 모델 자신의 순전파 도중에 특징 맵을 건네주므로,
# 순전파 한 번으로 특징과 로짓을 모두 얻습니다. 훅은 `finally`에서 제거되므로,
# 순전파가 실패하더라도 뒤에 남을 수 없습니다. (`gap_cnn.features(x)`도 같은
# 텐서를 주지만, 훅은 여러분이 직접 작성하지 않은 모델 깊숙이 묻힌 층에 닿는
# 방법입니다.)

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

# %% [markdown] en="c866b6d4800b"
# **모든** 클래스의 맵을 한꺼번에 구하는 데는 `einsum` 하나면 됩니다: 각 클래스
# $c$와 위치 $(x, y)$에 대해, 채널 $k$에 걸쳐 $w_k^c f_k(x, y)$를 더합니다.

# %%
cam_by_hand = torch.einsum("ck,nkhw->nchw", w, f)  # [1, C, h, w]: M_c(x, y) for every class c
print("CAM, every class:", tuple(cam_by_hand.shape))

# %% [markdown] en="ac8989107ade"
# 이제 클래스마다 라이브러리의 `class_activation_map`을 부르고, 유도가 약속하는 두
# 가지를 확인합니다: 두 계산이 일치하는지, 그리고 **각 맵의 평균이 그 클래스의
# 로짓인지**입니다.

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

# %% [markdown] en="eb36ecad410a"
# 맵은 특징 맵 64개의 가중합입니다. 클래스를 채널 하나가 떠맡을까요, 여러 채널이
# 함께 떠맡을까요? 각 항 $w_k^c f_k$에는 평균이 있고, 그것이 로짓에서 그 항이
# 차지하는 몫입니다(몫들을 모두 더하면 $S_c$입니다). 아래 그림은 먼저 몫들을
# 정렬해 보여 주고, 그다음 가장 큰 항 세 개, 나머지 모든 항의 합, 그리고 전체
# $M_c$를 보여 줍니다. 주황은 그 클래스를 *지지하는* 증거, 보라는 그 클래스에
# *반하는* 증거(색상이 어느 클래스 이름과도 겹치지 않는 컬러맵입니다), 흰색은
# 0입니다. 패널마다 색 척도가 따로 있습니다(가장 큰 절댓값, 곧 "peak"가 제목에
# 있습니다). 전체 합이 어느 항 하나보다도 몇 배나 크기 때문입니다.

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

# %% [markdown] en="5205e7fd8549"
# 어느 한 채널이 클래스를 떠맡지는 않습니다. 가장 큰 항도 로짓의 작은 일부일
# 뿐이고, 로짓의 대부분에 이르려면 많은 채널이 함께해야 합니다. 하지만 항들은
# *어디인지*에 대해서는 일치합니다: 가장 큰 15개 항이 모두 머리 위나 머리에서 한
# 칸 이내에 최고점이 있고(그중 9개는 머리가 직접 닿는 칸에서), 그 합은
# 날카로운 맵입니다. CAM은 이 일치를 눈에 보이게 만든 것입니다.

# %% [markdown] en="f354307c65aa"
# ### 4. 업샘플링, 그리고 정규화의 순서
#
# 맵은 $16 \times 16$이고 이미지는 $64 \times 64$입니다. 보간 방법이 우리가 보는
# 것을 얼마나 바꿀까요? 아래 그림의 위쪽에는 예측된 클래스의 맵을 세 가지 방법으로
# 업샘플링한 것이, 아래쪽에는 맵의 최고점을 지나는 픽셀 한 행이 있습니다: 점은
# 16개 칸(정규화된 값)이고, 선은 각 보간 방법이 그 칸들로부터 만들어 낸 것입니다.

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

# %% [markdown] en="c2704ed79d3b"
# nearest는 정직한 $4 \times 4$ 블록을 보여 주고, bilinear와 bicubic은 얼핏 비슷해
# 보입니다. 차이는 단면에서 드러납니다: 최고점 옆에서 bicubic은 1을 넘어(그림
# 아래에 출력된 줄에 따르면 1.04까지) 어느 칸보다도 높이 올라가지만, bilinear는
# 자신이 잇는 칸들 사이에 머뭅니다(최대 0.98: 픽셀들이 칸 중심 사이에 놓이므로
# 최고점 칸의 값에 정확히 이르지는 못합니다). (다른 맵에서는 bicubic이 0 아래로도
# 내려갑니다. 얼마나 내려가는지는 다음 셀이 테스트 분할(test split) 전체에서
# 잽니다.)
#
# 정규화 순서가 중요해지는 것은 바로 이 오버슈트 때문입니다. 테스트 장면 1000개
# 전체에 대해(장면마다 실제 클래스의 맵), **A: 정규화 → 업샘플링**(그다음
# `to_image`처럼 $[0, 1]$로 잘라 냄)과 **B: 업샘플링 → 정규화**를 비교합니다. 두
# 맵은 얼마나 다를까요? 그리고 임계값 $t$(노트북 04에서 박스를 그릴 때 쓸, 맵의
# 범위에 대한 비율)에서 각각은 이미지의 얼마만큼을 남길까요? 표에는 각 순서에서
# 남는 평균 면적(픽셀 수)과 두 마스크의 평균 IoU(겹친 부분을 합집합으로 나눈 값)가
# 있습니다: 1.000은 같은 픽셀이라는 뜻입니다. `B / A`는 두 면적의 비입니다.

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

# %% [markdown] en="0af48dcc68c9"
# 표를 보간 방법별로 읽어 봅시다:
#
# - **nearest**: 순서가 전혀 상관없습니다. 값을 복사할 뿐이기 때문입니다.
# - **bilinear**(코스의 기본값): 가장 큰 픽셀 차이가 bicubic의 절반쯤이고, 낮은
#   임계값에서는 두 순서가 거의 같은 픽셀을 남깁니다. 그런데 $t = 0.8$에서는
#   순서가 bicubic에서만큼 중요합니다: 순서 B가 순서 A보다 픽셀을 14% 더 남기고,
#   두 마스크의 IoU(0.849)는 bicubic의 IoU(0.863)보다도 조금 낮습니다. bilinear는
#   칸들의 범위를 결코 벗어나지 않지만, `align_corners=False`에서는 어느 픽셀
#   중심도 최고점 칸의 중심에 정확히 놓이지 않으므로, 업샘플링된 최고점은 1보다
#   조금 낮습니다. 나중에 정규화하면 이 최고점이 다시 1까지 늘어나고, 꼭대기
#   근처의 모든 값도 함께 늘어납니다.
# - **bicubic**: 가장 큰 픽셀 차이. 대부분의 맵에서 오버슈트가 생기므로(첫 줄),
#   순서 B에서는 오버슈트가 새 최댓값과 최솟값이 됩니다: 높은 임계값은 픽셀을 더
#   적게 남기고($t = 0.8$에서 12% 적게), 낮은 임계값은 더 많이 남기며,
#   $t = 0.5$에서는 두 효과가 평균으로는 우연히 상쇄되지만 장면마다 그런 것은
#   아닙니다(IoU 0.982).
#
# 고정된 임계값으로 그린 박스는 이 마스크들과 함께 달라집니다. 그래서 이 코스는
# 어디서나 한 가지 관례, **정규화한 다음 bilinear로 업샘플링하기**(`to_image`의
# 기본값)를 정해 두고, 어떤 수치가 이 관례에 달려 있을 때마다 그렇다고 밝힙니다.

# %% [markdown] en="92f8beb393fd"
# ### 5. 모든 클래스의 맵
#
# 네트워크는 클래스 하나를 예측했지만, 3절에서는 클래스마다 맵을 계산했습니다.
# 파랑 생물에서 빨강 클래스의 맵은 어떻게 보일까요? 아래의 탐색기는 클래스마다
# 하나씩 고른 테스트 장면 네 개에서 모든 클래스의 CAM을 한 번만 계산합니다. 그다음
# 드롭다운은 어느 클래스의 맵을 보여 줄지만 고르므로, 그림이 즉시 바뀝니다. 각
# 패널의 제목에는 장면의 실제 클래스와, 선택한 클래스에 대한 모델의 확률이
# 있습니다.
#
# 먼저 드롭다운의 기본값(첫 장면의 예측 클래스)으로 그린 정적인 그림입니다. 커널
# 없이 노트북을 읽는 사람도 이 그림은 볼 수 있습니다:

# %%
shown = test[torch.tensor([12, 5, 8, 15])]  # one scene of each class
explorer = ClassExplorer.from_model(gap_cnn, shown)
explorer.figure

# %% [markdown] en="7bfb31e4e636"
# 그리고 직접 조작할 수 있는 버전입니다: 다른 클래스를 골라 보세요.

# %%
explorer.widget()

# %% [markdown] en="a4c1ffa62338"
# 선택한 클래스의 생물에서 맵은 **머리**, 곧 색으로 클래스를 드러내는 작은
# 원반에서 가장 밝습니다. 밝은 색으로 그린 정답(ground truth) 박스는 맵이 생물을
# 얼마나 빠뜨리는지 보여 줍니다. *다른* 클래스의 생물 세 개에서는 그림이
# 뒤집힙니다: 배경이 밝고, 생물은 어두운 구멍 속에 있습니다. 배경이 빨강을
# 지지하는 증거일까요? 정규화된 맵으로는 답할 수 없습니다. **맵마다 따로
# 정규화되기** 때문입니다: 값이 무엇이든 가장 낮은 값은 0, 가장 높은 값은 1이
# 됩니다. 원시 맵(raw map) $M_c$는 답할 수 있습니다. 아래는 같은 네 장면에서 빨강
# 클래스의 원시 맵을, 업샘플링은 하되 정규화는 하지 않고, 0(흰색)을 가운데 둔 색
# 척도로, 네 패널 모두에 같은 척도를 써서 그린 것입니다: 주황은 빨강을 *지지하는*
# 증거, 보라는 빨강에 *반하는* 증거입니다. 검은 선은 생물의 윤곽입니다. 셀은 먼저
# 장면마다 맵의 범위, 머리·생물 전체·배경에서의 평균, 그리고 탐색기가 보여 주는
# 정규화된 맵의 생물과 배경에서의 평균을 출력합니다.

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

# %% [markdown] en="d27ebda9dd07"
# 원시 맵은 정규화된 맵과 반대로 읽힙니다. 빨강 생물에서는 강하게 양수이고,
# 머리에서 가장 그렇습니다. 초록, 파랑, 노랑 생물에서는 강하게 *음수*입니다: 생물,
# 그중에서도 머리가 빨강에 **반하는** 증거이며, 그 세기는 0 가까이에 머무는 배경의
# 어떤 값보다도 몇 배나 강합니다. 최소-최대 정규화는 각 맵의 최솟값을 0으로,
# 최댓값을 1로 보내므로, 그 장면들에서는 가장 음수인 곳, 곧 머리가 가장
# 어두워지고, 그저 덜 음수일 뿐인 배경은 밝아집니다: 정규화된 맵의 생물 위 평균이
# 배경 위 평균보다 한참 낮습니다(마지막 두 열). 없는 클래스의 정규화된 맵에서
# 배경이 밝다고 해서 그것이 그 클래스를 *지지하는* 증거는 아닙니다. 그 클래스에
# 반하는 증거가 없다는 뜻일 뿐입니다.
#
# 그러니 정규화된 맵은 그 클래스의 확률과 함께 읽고, 클래스가 장면에 없을 때는
# 원시 맵을 보세요. $p \approx 0$이 "증거가 전혀 없다"는 뜻은 아닙니다: 점수는
# 차이로서 소프트맥스에 들어가므로, $p(\text{red}) \approx 0$은 장면 자신의
# 클래스를 지지하는 증거가 빨강을 지지하는 증거를 큰 차이로 *압도한다*는 뜻이며,
# 여기서는 생물 자체에 있는, 빨강에 반하는 강한 증거도 한몫합니다. (노트북 03은
# 같은 질문을 반대쪽에서 다시 만납니다: 어느 영역이 클래스에 *반하는* 증거인가.)

# %% [markdown] en="c6eaeddccfa7"
# ### 6. 맵은 어디에 있는가? 머리, 몸통, 배경
#
# 이론 1절에서 CAM 논문의 기대를 되짚었습니다: GAP 덕분에 맵이 물체 전체를 덮어야
# 한다는 것입니다. 우리 장면은 머리(판별적인 부분), 나머지 몸통, 배경이 정확히
# 어디인지 알고 있으므로, 이것을 측정할 수 있습니다. 모든 테스트 장면에서 실제
# 클래스의 맵을 정규화하고 이미지 크기로 업샘플링한 다음, 영역마다 평균을
# 냅니다(`course_utils.localization.mean_map_by_region`). 먼저, 그런 맵 여덟
# 개입니다:

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

# %% [markdown] en="c548b1386a35"
# 맵은 머리에서 높고, 생물의 대부분을 차지하는 나머지 몸통에서는 훨씬
# 낮습니다(머리는 생물에서 작은 몫입니다). 그래도 배경보다는 한참 높습니다. 그러니
# 우리 데이터에서 GAP는 맵이 물체 전체를 덮게 만들지 **못했습니다**: 머리만으로도
# 분류하기에 충분하고, 네트워크는 그곳을 보도록 배웠으며, CAM은 정확히 그것을 보여
# 줍니다. 이것이 기본 CAM의 알려진 실패인 **과소 커버리지**(under-coverage)입니다:
# CAM은 물체가 아니라 가장 판별적인 부분을 찾습니다. 노트북 04는 이 맵들을 박스로
# 바꿔 그 대가가 얼마인지 측정하고, 노트북 05(ACoL)는 특징에서 머리를 지워
# 네트워크가 나머지를 찾도록 강제합니다.

# %% [markdown] en="80619bc1743b"
# ### 7. 코드에서 만나는 한계
#
# **CAM에는 GAP + 선형 헤드가 필요합니다.** `flatten_cnn`에는 그런 헤드가 없고,
# 라이브러리는 점수를 설명하지 못하는 맵을 돌려주는 대신 그렇다고 알려 줍니다.
# (노트북은 위에서 아래까지 끊김 없이 실행되어야 하므로, 오류를 잡아 그 메시지를
# 출력합니다.)

# %%
# NBVAL_CHECK_OUTPUT
try:
    class_activation_map(flatten_cnn, x)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] en="dd01abd0f1f7"
# **CAM은 마지막 합성곱 층만 설명합니다.** 백본의 세 번째 블록(`features[4]`)도
# $16 \times 16$ 맵 64개를 내놓으므로, 모양은 `fc`에 딱 맞습니다. 하지만 이 맵들은
# GAP만이 아니라 블록 하나(1x1 합성곱, 배치 정규화, ReLU)를 더 거쳐 점수에
# 이르므로, `fc(GAP(features[4]))`는 로짓이 아닙니다. 라이브러리는 이것을 수치로
# 확인하고 계산을 거부합니다:

# %%
up_to_block_3 = nn.Sequential(*list(gap_cnn.features)[:5])  # the backbone's first five modules
print("shape of features[4]'s output:", tuple(up_to_block_3(x).shape))
try:
    class_activation_map(gap_cnn, x, feature_layer=gap_cnn.features[4])
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] en="3f7b72408695"
# 두 한계는 같은 곳에서 옵니다: CAM은 가중치 $w_k^c$를 선형 층에서 읽어 내는데, 그
# 층 하나만으로 점수에 연결된 것은 마지막 특징 맵뿐입니다. Grad-CAM(노트북 03)은
# 그 대신 그래디언트에서 가중치를 얻으므로, 어떤 헤드와 어떤 층에서든 동작합니다.

# %% [markdown] en="2f76645bc3a5"
# ## 토론
#
# ### 요약
#
# - **풀링**: 최대 풀링은 가장 강한 응답을, 평균 풀링은 응답의 총량을 남깁니다.
#   전역 평균 풀링(GAP)은 각 특징 맵을 그 평균으로 줄이고, 위치는 잊습니다.
# - **Network in Network**는 flatten + 완전 연결 층을, 클래스마다 맵 하나를 내는
#   마지막 $1 \times 1$ 층과 그 맵들을 평균해 클래스 점수로 만드는 GAP로
#   바꾸었습니다. CAM 논문의 헤드, 곧 우리의 헤드는 GAP 뒤에 선형 층 하나입니다.
#   여기서는 50만 개가 넘던 파라미터가 256개가 됩니다. 백본을 고정하고 학습 장면이
#   적을 때, flatten 헤드는 학습 세트를 암기해 일반화가 나빴고, GAP 헤드는 장면
#   25개부터 일반화했습니다.
# - **CAM**: GAP 뒤에 편향 없는 선형 층이 오면
#   $S_c = \frac{1}{hw}\sum_{x,y} M_c(x, y)$이고, 여기서
#   $M_c(x, y) = \sum_k w_k^c f_k(x, y)$입니다. `einsum` 하나로 계산되며,
#   `course_utils.cam.class_activation_map`과 일치하고, 그 평균이 로짓입니다.
# - **업샘플링**: nearest는 각지고, bilinear는 매끄럽고 범위를 벗어나지 않으며,
#   bicubic은 오버슈트합니다. 정규화한 다음 업샘플링하세요: 반대 순서는
#   bilinear에서도 bicubic에서도 맵을 바꿉니다. 높은 임계값($t = 0.8$)에서
#   마스크에 남는 픽셀이 바뀌는 정도는, 코스의 기본값인 bilinear(IoU 0.849, 픽셀
#   14% 더 많음)와 bicubic(IoU 0.863, 12% 더 적음)이 비슷합니다.
# - **모든 클래스에 맵이 있고**, 정규화된 맵은 저마다 색 척도를 꽉 채웁니다: 그
#   클래스의 확률과 함께 읽으세요. 장면에 없는 클래스의 원시 맵은 생물 위에서
#   강하게 음수이고(반하는 증거), 정규화는 그것을 어두운 생물을 둘러싼 밝은
#   배경으로 바꿉니다.
# - **여기서 CAM이 보여 주는 것**: 몸통이 아니라 머리입니다. 정규화된 맵의 평균이
#   머리에서 나머지 몸통보다 훨씬 높습니다: 과소 커버리지이며, 노트북 04와 05가
#   다루는 문제입니다.
# - **한계**: CAM에는 GAP + 선형이 필요하고, 마지막 합성곱 층만 설명합니다.
#   Grad-CAM(03)은 두 한계를 모두 없앱니다.
#
# ### 연습 문제
#
# 연습 문제(exercise)마다 무엇이 맞는지, 또는 무엇을 기대했는지 말해 주는 확인이
# 있습니다. 답은 처음에 `None`이므로 확인은 "아직 아닙니다"라고 말합니다: 여러분의
# 답으로 바꾸세요. 풀이(solution)는 별도의 노트북
# [solutions/02_gap_cam_solutions.ipynb](solutions/02_gap_cam_solutions.ipynb)에
# 있어서, 어떤 답도 연습 문제 바로 아래에 보이지 않습니다: 먼저 풀어 보세요.
#
# **연습 문제 1: 손으로 하는 풀링.** `POOLING_TENSOR`(아래에 출력됩니다)를 2x2 창,
# 스트라이드 2로 한 번은 평균으로, 한 번은 최대로 풀링하세요. 먼저 종이에 풀어 본
# 다음, 두 $2 \times 2$ 결과를 중첩 리스트로 입력하세요(또는 `F.avg_pool2d` /
# `F.max_pool2d`로 계산해 비교하세요). 각 풀링에서 어느 창이 이기며, 왜 그럴까요?

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

# %% [markdown] en="da4b81478b2b"
# **연습 문제 2: 파라미터 세기.** 더 큰 백본이 `size` x `size` 크기의 특징 맵
# `channels`개를 내고, 클래스는 `classes`개입니다(아래 `HEAD_CONFIG` 참고). 이
# 백본에 붙는 `FlattenCNN` 방식의 헤드(2x2 최대 풀링, flatten, 편향이 있고 유닛이
# `hidden`개인 선형 층, ReLU, 드롭아웃, 편향이 있고 출력이 클래스 수만큼인 선형
# 층)와 `GapCNN` 방식의 헤드(GAP, 그다음 편향 없는 선형 층)의 파라미터 수를 종이와
# 펜으로 세어 보세요. 층들을 만들어 `count_parameters`를 불러 보면 센 값을 확인할
# 수 있습니다.

# %%
print(HEAD_CONFIG)
flatten_head = None  # the flatten head's parameter count
gap_head = None      # the GAP head's parameter count
check_head_parameters(flatten_head, gap_head)

# %% [markdown] en="b8d360d1f3f1"
# **연습 문제 3: 마진의 맵.** 소프트맥스는 점수의 차이만 봅니다:
# $p_c / p_{c'} = e^{S_c - S_{c'}}$. 그래서 "왜 빨강이 아니라 파랑인가?"는 $S_c$
# 하나가 아니라 마진 $S_c - S_{c'}$에 관한 질문입니다.
#
# *(a)* 마진을 맵 하나의 평균으로 쓰고, `cam_exercise_images()`의 이미지 네 장에서
# $c$ = 파랑, $c'$ = 빨강(`MARGIN_CLASSES = (2, 0)`)에 대해 그 맵을 계산하세요.
# `gap_cnn.features`와 `gap_cnn.fc.weight`로부터, 채널에 대한 가중합 한 번으로
# 계산합니다: 어떤 가중치 벡터를 써야 할까요? 결과가 왜 두 CAM의 차이가 되며, 두
# *정규화된* 맵의 차이로는 왜 안 될까요?
#
# *(b)* 먼저 예측하고, 그다음 코드로 확인하세요. `fc`의 **모든** 가중치 $w_k^c$,
# 곧 모든 클래스와 모든 채널의 가중치에 같은 수, 예컨대 $a = 1$을
# 더합니다(복사본에서, `gap_cnn.fc.weight + 1.0`). 모델의 확률이 바뀔까요? CAM이
# 바뀔까요? (a)에서 구한 마진 맵이 바뀔까요? 힌트: 새 점수와 새 맵을 $w_k^c + a$로
# 써 보고, 어느 항이 $c$나 위치에 달려 있는지 보세요.

# %%
images = cam_exercise_images()   # [4, 3, 64, 64]
margin_maps = None               # [4, 16, 16]: the map whose mean is S_blue - S_red
display(check_margin_map(margin_maps))

probabilities_change = None      # True or False
cams_change = None               # True or False
margin_map_changes = None        # True or False
display(check_weight_shift(probabilities_change, cams_change, margin_map_changes))

# %% [markdown] en="c9cb31171426"
# **더 나아가기**(확인 없음): `course_utils.train.train`으로 작은 학습 세트에서
# `GapCNN`을 직접 학습시키고(예를 들어 장면 300개, 10 에포크, `progress=True`), 그
# CAM을 함께 배포된 모델의 CAM과 비교해 보세요. 덜 학습된 네트워크도 머리를
# 볼까요?
