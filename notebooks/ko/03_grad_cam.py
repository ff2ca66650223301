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

# %% [markdown] en="5cf1648fc9d8"
# # 03 · Grad-CAM
#
# ## 이 노트북의 목표
#
# 노트북 02의 클래스 활성화 맵(class activation map, CAM)은 전역 평균
# 풀링(global average pooling, GAP) + 선형 헤드(head)의 가중치(weight)에서
# 클래스 맵을 곧바로 읽어 냅니다. 우아한 방법이지만, 그만큼 제약이기도
# 합니다. 네트워크가 전역 평균 풀링과 선형 층 하나로 끝나야 하고, 설명할 수
# 있는 것은 마지막 합성곱(convolution) 층뿐입니다. Grad-CAM(Selvaraju 외,
# 2017)은 이 두 조건을 모두 없앱니다. Grad-CAM은 어떤 네트워크든 답할 수 있는
# 질문을 던집니다: *이 특징 맵(feature map)이 커지면 클래스 점수(class
# score)는 얼마나 커질까?* 그 답이 그래디언트(gradient)이고, 그래디언트를
# 평균하면 각 특징 맵의 가중치가 됩니다. 이 노트북에서는 가중치를 유도하고,
# 손으로 계산하고, CAM으로는 설명할 수 없는 모델에 적용하며(그리고 그곳에서
# 그래디언트를 평균하는 것의 대가를 확인하며), 더 앞쪽 층에도 적용합니다.
# 또 생물(creature) 두 마리가 있는 장면(scene)에서 Grad-CAM을 다른 세 가지
# 설명 방법과 비교하고, 모두를 측정하며, 무엇이 클래스에 *반하는* 증거(evidence)인지,
# 그리고 무엇이 한 클래스를 다른 클래스와 구별하는지 묻습니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - Grad-CAM의 가중치 $\alpha_k^c$와 맵을 식으로 쓰고, 점수를 소프트맥스(softmax)
#   이전에서 취하는 이유와 맵이 ReLU를 거치는 이유를 말할 수 있습니다;
# - 순전파 훅(forward hook)과 `torch.autograd.grad`로 Grad-CAM을 손으로
#   계산하고, 그 결과를 `course_utils.cam.grad_cam`과 대조할 수 있습니다;
# - 평탄화(flatten) + 완전 연결(fully-connected) 헤드와 임의의 합성곱 층에
#   Grad-CAM을 적용하고, 깊이에 대해 측정값이 말하는 바를 읽어 낼 수 있습니다;
# - GAP + 선형 모델에서는 Grad-CAM이 (여러분이 밝힐 수 있는) 양의 상수배를
#   제외하면 CAM과 같다는 것을 보이고, 다른 헤드에서는 그래디언트를 평균하는
#   것이 무엇을 하는지 원소별(element-wise) 방법인 HiResCAM과 비교해 말할 수
#   있습니다;
# - 같은 장면에서 유도 역전파(guided backpropagation), Grad-CAM, Guided
#   Grad-CAM, 가림(occlusion)을 비교하고, 포인팅 게임(pointing game)으로 점수를
#   매길 수 있습니다;
# - 반사실(counterfactual) 맵을 계산하고, 그것이 가리키는 것을 제거해서
#   검증할 수 있습니다;
# - 클래스가 아닌 점수, 예컨대 두 클래스 사이의 마진(margin)을 설명할 수
#   있습니다.
#
# ### 차례
#
# **이론**
# 1. Grad-CAM: 그래디언트로 가중한 특징 맵
# 2. 소프트맥스 이전, 그리고 ReLU 이후
# 3. Grad-CAM은 CAM을 일반화하며, 정확히 같은 것은 그곳에서뿐
# 4. 더 선명한 맵: 유도 역전파와 Guided Grad-CAM
# 5. 가림: 그래디언트 없이 설명하기
# 6. 포인팅 게임
# 7. 반사실 설명
#
# **실습**
# 1. 손으로 구하는 Grad-CAM, 그다음 `course_utils`로
# 2. 모델은 그대로: 평탄화 + 완전 연결 헤드
# 3. 어느 층이든: 층 선택기
# 4. GAP 모델에서는 Grad-CAM이 곧 CAM
# 5. 생물 두 마리, 방법 네 가지
# 6. 포인팅 게임
# 7. 무엇이 클래스에 반하는가?
# 8. 실제 사진 (사전 학습된 가중치를 구할 수 있을 때)
#
# **토론과 요약**
#
# **연습 문제**(exercise, 자가 확인 포함); 풀이(solution)는 별도의 노트북에 있습니다.
#
# ### 참고 문헌
#
# - Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra (2017). *Grad-CAM:
#   Visual Explanations from Deep Networks via Gradient-based Localization.*
#   ICCV. [arXiv:1610.02391](https://arxiv.org/abs/1610.02391)
# - Draelos, Carin (2020). *Use HiResCAM instead of Grad-CAM for faithful
#   explanations of convolutional neural networks.*
#   [arXiv:2011.08891](https://arxiv.org/abs/2011.08891)
# - Springenberg, Dosovitskiy, Brox, Riedmiller (2015). *Striving for
#   Simplicity: The All Convolutional Net.* ICLR workshop. (유도 역전파)
#   [arXiv:1412.6806](https://arxiv.org/abs/1412.6806)
# - Zeiler, Fergus (2014). *Visualizing and Understanding Convolutional
#   Networks.* ECCV. (가림) [arXiv:1311.2901](https://arxiv.org/abs/1311.2901)
# - Zhang, Bargal, Lin, Brandt, Shen, Sclaroff (2018). *Top-down Neural
#   Attention by Excitation Backprop.* IJCV (ECCV 2016). (포인팅 게임)
#   [arXiv:1608.00507](https://arxiv.org/abs/1608.00507)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM, 노트북 02)

# %% [markdown] en="ae9155da164f"
# ## 이론
#
# ### 1. Grad-CAM: 그래디언트로 가중한 특징 맵
#
# 합성곱 층 하나를 고릅니다. 그 출력은 $K$개의 특징 맵
# $A^1, \dots, A^K$이고, 각각의 크기는 $h \times w$입니다. $A^k_{ij}$는 맵 $k$의
# $i$행 $j$열 값입니다. $y^c$를 클래스 $c$에 대한 네트워크의 점수, 즉 소프트맥스
# *이전*의 로짓(logit)이라고 합시다. 그 층 뒤에 무엇이 오든(합성곱이 더 있든,
# 평탄화가 있든, 완전 연결 층이 있든) $y^c$는 $A^k_{ij}$의 미분 가능한
# 함수이므로, 각 $A^k_{ij}$에 따라 $y^c$가 얼마나 빨리 커지는지 물을 수
# 있습니다. Grad-CAM은 이것을 위치에 대해 평균하여 특징 맵마다 수 하나를
# 얻습니다:
#
# $$
# \alpha_k^c \;=\; \frac{1}{Z} \sum_{i=1}^{h} \sum_{j=1}^{w}
#     \frac{\partial y^c}{\partial A^k_{ij}}, \qquad Z = h\,w .
# $$
#
# $\alpha_k^c$는 *클래스 $c$에 대한 특징 맵 $k$의 중요도*입니다. 채널 $k$가 모든
# 위치에서 똑같이 작은 양만큼 커지면, $y^c$는 그 양의 약 $Z\,\alpha_k^c$배만큼
# 커집니다. 클래스 맵은 CAM에서처럼 특징 맵을 중요도로 가중해 더한 다음,
# ReLU로 음수를 잘라 낸(정류한) 것입니다:
#
# $$
# L^c_{\text{Grad-CAM}} \;=\; \mathrm{ReLU}\Big( \sum_{k=1}^{K} \alpha_k^c A^k \Big)
#     \;\in\; \mathbb{R}^{h \times w}.
# $$
#
# 비용은 순전파 한 번과, 선택한 층에서 멈추는 역전파 한 번입니다. 모델은
# 아무것도 바꿀 필요가 없습니다.
#
# 이 계산법 어디에도 $y^c$가 클래스 점수여야 한다는 조건은 없습니다. 특징
# 맵으로부터 계산되는 미분 가능한 스칼라라면 무엇이든 됩니다. Grad-CAM 논문도
# 이 점을 강조합니다. 이 방법은 "어떤 목표 개념이든(분류 네트워크의 'dog'이든
# 캡셔닝 네트워크의 단어 열이든) 그 그래디언트를 사용"하며, 논문은 이 방법을
# "구조화된 출력에 쓰이는(예: 캡셔닝)" CNN과 "다중 모달 입력을 받는 작업에
# 쓰이는(예: 시각 질의응답)" CNN에도 적용할 수 있다고 말합니다. 실습 7절에서는
# *마진* $y^a - y^b$를 설명합니다.
#
# ### 2. 소프트맥스 이전, 그리고 ReLU 이후
#
# **왜 소프트맥스 이전의 점수인가.** 확률
# $p_c = e^{y^c} / \sum_{c'} e^{y^{c'}}$는 모든 클래스의 점수에 의존합니다. 그래서
# 그 그래디언트에는 "$c$의 증거가 더 많다"와 "다른 클래스들의 증거가 더
# 적다"가 섞여 있습니다. 어떤 영역은 $y^c$를 올려서 $p_c$를 올릴 수도 있지만,
# 경쟁 클래스의 점수를 *낮춰서* 올릴 수도 있으며, $p_c$의 맵은 이 둘을 구별하지
# 못합니다. 게다가 모델이 확신하게 되면($p_c \approx 1$) 소프트맥스가 포화되어
# $p_c$의 그래디언트는 모두 0에 가까워집니다. 로짓 $y^c$에는 두 문제 모두
# 없습니다.
#
# **왜 ReLU인가.** $\sum_k \alpha_k^c A^k$는 그 자리에 있는 특징이 $y^c$를 올리는
# 곳에서 양수이고, 끌어내리는 곳에서 음수입니다. 음수인 곳은 대개 *다른*
# 클래스의 증거가 있는 곳입니다. 우리가 원하는 것은 $c$를 *지지하는*
# 증거이므로, ReLU로 양수 부분만 남깁니다. ReLU가 없으면 [0, 1]로 정규화한 맵이
# 음수 영역에도 범위를 나누어 써야 하고, 정규화한 뒤에는 "증거 없음"과 "반대
# 증거"를 구별하기 어려워집니다. ReLU가 버리는 부분이 쓸모없는 것은
# 아닙니다. 7절에서 그것을 사용하고, 연습 문제 1에서 그것이 맵의 얼마만큼을
# 차지하는지 측정합니다.
#
# ### 3. Grad-CAM은 CAM을 일반화하며, 정확히 같은 것은 그곳에서뿐
#
# GAP + 선형 헤드를 택해 그 마지막 특징 맵을 설명해 봅시다. 그러면
#
# $$
# y^c = \sum_k w_k^c \, \frac{1}{Z} \sum_{i,j} A^k_{ij}
# \quad\Longrightarrow\quad
# \frac{\partial y^c}{\partial A^k_{ij}} = \frac{w_k^c}{Z}
# \quad\Longrightarrow\quad
# \alpha_k^c = \frac{w_k^c}{Z},
# $$
#
# 이고, 이 값은 모든 위치에서 같습니다. 따라서
# $L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\big(\sum_k w_k^c A^k\big) / Z
# = \mathrm{ReLU}(M_c) / Z$이며, 여기서 $M_c$는 노트북 02의 CAM입니다. 양의 상수
# $1/Z$를 제외하면 같은 맵이므로, 최소-최대 정규화(min-max normalisation)를
# 거치면 $M_c > 0$인 곳에서는 똑같아 보입니다.
#
# Grad-CAM이 CAM과 정확히 같은 것은 이 경우뿐입니다. 다른 헤드(평탄화와 완전
# 연결 층, 최대 풀링(max pooling), 추가 합성곱)에서는 그래디언트
# $\partial y^c / \partial A^k_{ij}$가 위치마다 달라지는데, $\alpha_k^c$는 이것을
# 평균으로 대신합니다. 평균은 요약일 뿐이어서, 채널 $k$의 모든 위치에 같은
# 가중치를 주며, 점수가 전혀 의존하지 않는 위치도 예외가 아닙니다.
# **HiResCAM**(Draelos & Carin, 2020)은 그래디언트를 제자리에 둔 채 원소별로
# 곱합니다:
#
# $$
# L^c_{\text{HiResCAM}}(i, j) \;=\; \mathrm{ReLU}\Big( \sum_{k=1}^{K}
#     \frac{\partial y^c}{\partial A^k_{ij}} \, A^k_{ij} \Big).
# $$
#
# 비용도 같고 층도 같지만, 가중치가 채널*과 위치*마다 하나씩입니다. GAP + 선형
# 헤드에서는 그래디언트가 어디서나 $w_k^c / Z$로 자기 평균과 같으므로, 그곳에서는
# HiResCAM과 Grad-CAM이 일치합니다. (LayerCAM(Jiang 외, 2021)은 같은 곱을 양의
# 그래디언트만으로 계산합니다.) 실습 2절에서 둘이 어디서 달라지는지 봅니다.
#
# ### 4. 더 선명한 맵: 유도 역전파와 Guided Grad-CAM
#
# Grad-CAM의 해상도는 그 층의 해상도입니다(여기서는 16x16, 224x224 사진에 대한
# ResNet이라면 7x7). *입력 픽셀*에 대한 $y^c$의 그래디언트는 이미지만큼
# 선명하지만 잡음이 많습니다. **유도 역전파**(Springenberg 외, 2015)는
# 그래디언트가 각 ReLU를 거꾸로 지나가는 방식을 바꾸어 잡음을 걷어 냅니다. 보통의
# ReLU $a = \max(z, 0)$는 입력이 양수였던 곳에서 들어오는 그래디언트 $g$를
# 통과시킵니다. 유도 ReLU는 여기에 더해 음의 그래디언트도 버립니다:
#
# $$
# \frac{\partial y^c}{\partial z}\Big|_{\text{guided}} = [z > 0]\cdot\max(g, 0).
# $$
#
# 결과는 네트워크를 자극하는 것의 가는 윤곽선을 보여 주지만, Grad-CAM 논문에
# 따르면 *클래스 판별력*(class-discriminative)이 거의 없습니다. "고양이"에 대한
# 그림과 "개"에 대한 그림이 비슷해 보입니다. **Guided Grad-CAM**은 여기에
# 이미지 크기로 업샘플링(upsampling)한 Grad-CAM을 픽셀별로 곱합니다. 선명하면서
# *동시에* 클래스에 특화된 맵입니다.
#
# ### 5. 가림: 그래디언트 없이 설명하기
#
# Zeiler와 Fergus(2014)는 질문을 직접 던졌습니다. 이미지의 한 패치(patch)를
# 가리고 점수가 얼마나 떨어지는지 봅니다.
#
# $$
# O^c(i, j) = y^c(x) - y^c\big(x \text{ with the patch at } (i, j) \text{ filled}\big).
# $$
#
# 그래디언트도, 네트워크에 대한 가정도 필요 없습니다. 그래서 다른 방법들을
# 평가할 때 흔히 기준으로 삼는 방법입니다. 대가는 패치 위치마다 순전파 한
# 번입니다. 64x64 장면에서 8x8 패치를 스트라이드(stride) 8로 움직이면 이미지당
# 64번, 스트라이드 4라면 225번입니다.
#
# ### 6. 포인팅 게임
#
# 사람 없이 맵에 어떻게 *점수를* 매길까요? Zhang 외(2016, 2018)는 포인팅
# 게임을 제안했습니다. 맵의 최댓값, 즉 맵이 "가리키는" 픽셀 하나를 골라,
# 그것이 설명하는 클래스의 객체 위에 떨어지면(224x224에서 15픽셀의 허용
# 오차(tolerance) 안에서) **적중**(hit), 그렇지 않으면 빗나감(miss)으로
# 셉니다. 점수는 $\text{hits} / (\text{hits} + \text{misses})$입니다. 객체의
# 마스크(mask)만 있으면 되고, 맵 값의 크기와 퍼진 정도는 무시하며, 가장 단순한
# 질문을 던집니다: 가장 강한 증거가 올바른 객체 위에 있는가? 이미지가 무엇이든
# 이미지 중앙을 가리키는 맵이, 넘어서야 할 베이스라인(baseline)입니다.
#
# ### 7. 반사실 설명
#
# 가중치의 부호를 뒤집으면, 같은 계산법이 점수를 낮추는 것을 보여 줍니다:
#
# $$
# L^c_{\text{counterfactual}} = \mathrm{ReLU}\Big( \sum_k (-\alpha_k^c) A^k \Big).
# $$
#
# 이 맵은 그곳의 특징이 클래스 $c$에 *반하는* 증거가 되는 영역을 강조합니다.
# 빨강 생물과 초록 생물이 있는 장면에서 "빨강"의 반사실 맵은 초록 생물을
# 밝혀야 합니다. 이 주장은 검증할 수 있습니다. 반사실 맵이 가리키는 것을
# 제거하면 $y^c$가 *올라가야* 하고, Grad-CAM이 가리키는 것을 제거하면 내려가야
# 합니다.

# %% [markdown] en="d809d842fa4e"
# ## 실습
#
# 모든 것은 코스에 포함된 모델과 고정된 장면으로 CPU에서 몇 초 안에
# 실행됩니다. 이 노트북을 이끄는 모델은 둘이며, 둘 다 같은 백본(backbone)
# `model.features`를 씁니다(`Sequential`: 64x64, 32x32, 16x16에서의 블록들,
# 그다음 16x16에서의 1x1 블록):
#
# - `flatten_cnn`: 특징을 8x8로 최대 풀링한 뒤 평탄화하여 완전 연결 층 두 개에
#   넣습니다. 헤드가 모든 위치를 따로 보므로 채널마다 가중치 하나가 있는 것이
#   아니고, CAM을 적용할 수 없습니다.
# - `gap_cnn`: GAP와 편향(bias) 없는 선형 층, 즉 노트북 02의 CAM 모델입니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="ba4bf27e2dba"
# ### 1. 손으로 구하는 Grad-CAM, 그다음 `course_utils`로
#
# 테스트 장면 여덟 개와 각 장면의 정답 클래스에 대해, 마지막 합성곱 블록인
# `model.features`에서 `flatten_cnn`을 설명합니다. 필요한 것은 두 가지, 특징 맵
# $A$와 그래디언트 $\partial y^c / \partial A$입니다.
#
# 층에 건 **순전파 훅**은 모델이 실행되는 동안 그 층의 출력을 건네주고, 우리는
# 그 텐서를 보관합니다. autograd가 켜져 있으므로 이 텐서는 점수로 이어지는
# 그래프의 일부이고, 따라서 `torch.autograd.grad(score, A)`는 모든 채널과 위치에
# 대한 $\partial y^c / \partial A^k_{ij}$를 돌려주며, 어떤 파라미터(parameter)의 `.grad`도
# 건드리지 않습니다. 미분하기 전에 여덟 이미지의 선택된 점수를 더합니다. 평가
# 모드(eval mode)에서는 이미지들이 서로 영향을 주지 않으므로, 각 이미지의
# 그래디언트는 그 이미지 자신의 것입니다.

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

# %% [markdown] en="4de6639ced9b"
# 이제 라이브러리의 `grad_cam(model, layer, images, target)`입니다. 같은 것을
# 조금 더 알뜰하게 계산하므로(autograd 그래프를 그 층부터만 만들고, 오류가
# 나더라도 훅이 남지 않습니다), 두 결과는 반올림 오차 범위에서 일치해야
# 합니다:

# %%
# NBVAL_CHECK_OUTPUT
library = grad_cam(flatten, flatten.features, images, classes)
print(f"largest map value:             {by_hand.max():.3f}")
print(f"max |by hand - library|:       {(by_hand - library).abs().max():.3f}")
print(f"positions the ReLU set to 0:   {(by_hand == 0).float().mean():.3f}")

# %% [markdown] en="bc075d107343"
# ### 2. 모델은 그대로: 평탄화 + 완전 연결 헤드
#
# CAM은 `flatten_cnn`에 대해 무엇을 말할까요? 라이브러리는 계산을 거부하고, 그
# 이유를 말해 줍니다:

# %%
try:
    class_activation_map(flatten, images)
except ValueError as error:
    print(f"ValueError: {error}")

# %% [markdown] en="e502e0dcf6ad"
# 위에서 모델을 건드리지 않고 계산한 Grad-CAM에는 채널마다 하나인 가중치가
# 필요 없습니다. 그래디언트가 그 가중치를 줍니다. `flatten_cnn`은 어디를 볼까요?
# 각 패널은 장면과 그 생물의 바운딩 박스(bounding box), 그리고 생물의 클래스에
# 대한 Grad-CAM 맵을 보여 줍니다. 맵은 [0, 1]로 정규화하고 쌍선형(bilinear)으로
# 업샘플링했습니다:

# %%
fig = scene_grid(scenes, range(8), maps=library, ncols=4)
fig.suptitle(tr("Grad-CAM of flatten_cnn at model.features (16x16), true class"), fontsize=11)
plt.show()

# %% [markdown] en="7f38dfe2fb3e"
# 노트북 02의 CAM처럼, 맵은 몸통보다 판별적인 부분(discriminative part)인 색깔
# 있는 머리를 더 밝힙니다. 이것은 방법의 성질이 아니라 모델이 학습한 것의
# 성질입니다. 그런데 초록 장면들(첫째, 둘째, 여섯째 패널)을 보십시오. 밝은
# 직사각형이 배경을 덮고 있고, 이미지 테두리를 따라 폭이 한 셀인 더 어두운 띠가
# 그것을 둘러싸고 있습니다. 그곳에는 초록색인 것이 아무것도 없습니다.
#
# 이 직사각형은 평균에서 생깁니다. `flatten_cnn`의 헤드는 16x16 맵을 8x8로 최대
# 풀링하므로, 각 2x2 창에서 채널의 가장 큰 활성값 하나만 그래디언트를 받고,
# 첫 번째 선형 층은 위치마다 다른 가중치를 가집니다. 그래디언트는 모든 위치에서
# 같기는커녕 전혀 다릅니다. 그런데도 Grad-CAM의 $\alpha_k^c$는 그 평균이고, 그래서
# 채널의 활성값을 머리에서와 똑같이 배경에서도 가중합니다. HiResCAM(이론
# 3절)은 그래디언트를 제자리에 둡니다. 같은 여덟 장면에서 둘을 비교한 다음,
# 테스트 장면 200개에서 정답 클래스에 대해 측정합니다. 측정하는 것은 정규화한
# 맵(64x64로 업샘플링)의 머리 위 평균과 배경 위 평균(`head`, `backgr.` 열), 맵
# 최댓값의 절반 이상인 셀의 비율(`cells >= 0.5` 열), 그리고 포인팅 게임(`peak on
# creature` 열)입니다.

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

# %% [markdown] en="0dcdea79c70d"
# HiResCAM은 배경에 맵을 약 3분의 1만큼만 둡니다(0.024 대 0.066; 초록
# 장면에서는 0.070 대 0.221). 또 초록 장면에서 최댓값의 절반 이상인 셀의 비율이
# 0.065에서 0.018로 떨어집니다. 직사각형은 평균 때문이었던 것입니다. 그렇다고
# HiResCAM이 모든 면에서 나은 것은 아닙니다. 맵이 더 얼룩덜룩하고(최대 풀링의
# 각 2x2 창에서 채널마다 한 위치만 그래디언트를 가지므로), 머리에 두는 몫이 더
# 적으며(0.529 대 0.786), 최고점(peak)이 생물 위에 떨어지는 경우도 더
# 적습니다(0.790 대 0.897). Grad-CAM의 평균은 맵의 일부를 엉뚱한 곳에 두기도
# 하지만, 맵을 매끄럽게 만들기도 합니다. 이 노트북의 나머지에서는 대부분의
# 라이브러리와 논문이 클래스 맵이라고 할 때 뜻하는 방법인 Grad-CAM을 씁니다.
# HiResCAM은 3절에서 다시 다룹니다.
#
# ### 3. 어느 층이든: 층 선택기
#
# 공식 어디에도 "마지막 층"이라는 말은 없습니다. 백본의 각 블록이 특징 맵을
# 내므로, 각 블록을 저마다의 해상도로 설명할 수 있습니다. 깊이에 따라 무엇이
# 달라질까요? 다음은 장면 하나와 그 정답 클래스를 각 블록의 출력에서 본
# 것입니다:

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

# %% [markdown] en="9b2740149fa1"
# 장면 하나, 이야기 넷. 블록 1(`block 1`)의 맵은 거의 모든 곳에서 0보다 크고,
# 그 최고점은 생물이 아니라 이미지 테두리에 있습니다. 테두리 픽셀의 3x3 창은
# 제로 패딩(zero padding)까지 걸쳐 있어서 그 활성값이 다른 모든 픽셀의 것과
# 다르고, 거의 모든 곳에서 양수인 맵에서는 그런 작은 차이가 이길 수 있습니다.
# 블록 2는 초록 머리를 찾아냅니다. 블록 3의 맵은 **비어 있습니다**. 가중합이
# 256개 셀 모두에서 0보다 작아서 ReLU 뒤에 아무것도 남지 않고, 전부 0인 맵을
# 정규화하면 균일하게 어두운 패널이 됩니다(모든 곳에서 0인 맵은 특별히 어느
# 곳도 가리키지 않습니다. 포인팅 게임은 노트북 01에서처럼 그 모든 픽셀을
# 최고점으로 세고, 생물이 이미지에서 차지하는 비율을 점수로 줍니다). 블록 4는
# 머리를 찾아내며, 그 주위에 2절의 밝은 배경 직사각형이 있습니다.
#
# 장면 하나는 오해를 부를 수 있으므로, 장면 생성기가 알고 있는 영역을 이용해
# 테스트 장면 100개에서 측정합니다. 각 블록에 대해, 정규화한 맵(64x64로
# 업샘플링)의 평균을 머리, 생물의 나머지 부분, 배경에서 각각 구하고(`head`,
# `body`, `backgr.` 열), 최고점이 생물 위에 있는 맵의 비율(6절의 포인팅 게임,
# `peak on creature` 열)과 모든 곳에서 0인 맵의 비율(`all zero` 열)을 구합니다.
# 이어서 그래디언트를 평균하지 않는 HiResCAM에 대해서도 똑같이 합니다.

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

# %% [markdown] en="4dc71b3d3459"
# 깊어질수록 맵이 한 단계씩 생물 쪽으로 옮겨 가는 것은 아닙니다. Grad-CAM에서는
# 마지막 블록이 가장 좋지만(머리 위 맵 평균 0.778, 생물 위 최고점 0.915), 블록
# 2가 블록 3보다 낫습니다(생물 위 최고점 0.810 대 0.709). 블록 3에서는 우리
# 장면에서처럼 맵 다섯 개 중 하나가 모든 곳에서 0이며, 빈 맵은 아무 데도
# 가리키지 않습니다. 블록 1의 맵은 가장 세밀하지만, 머리에 두는 몫은 가장
# 적고(0.245), 최고점이 생물 위에 있는 비율도 0.661에 그칩니다.
#
# 맵은 왜 비어 있을 수 있을까요? 가중치 $\alpha_k^c$는 모든 위치에 걸친
# 그래디언트의 *평균*이고, 그 위치의 대부분은 배경입니다. 블록 3 다음에는 1x1
# 블록, 최대 풀링, 완전 연결 층 두 개가 있으므로, 한 위치의 그래디언트가 그
# 평균과 크게 다를 수 있고, 머리에서 활성화되는 채널들이 음의 평균 가중치를
# 받을 수 있습니다. 그러면 $\sum_k \alpha_k^c A^k$는 모든 곳에서 0보다 작아집니다.
# HiResCAM 행들이 이 설명을 검증합니다. 그래디언트를 제자리에 두면 어느
# 블록에서도 빈 맵이 없고, 블록 1에서 3까지는 Grad-CAM보다 더 자주 생물을
# 가리킵니다. 하지만 블록 4에서는 Grad-CAM이 더 잘 가리킵니다(0.915 대
# HiResCAM의 0.800). 평균하지 않는 것이 어디서나 더 나은 것은 아닙니다.
#
# Grad-CAM 논문은 다른 이유로 마지막 합성곱 층을 설명합니다. "마지막 합성곱
# 층들이 고수준 의미와 세밀한 공간 정보 사이에서 가장 좋은 절충을 이룰 것으로
# 기대할 수 있다"는 것이며, 완전 연결 층은 *어디*라는 정보를 잃기 때문입니다.
# 여기서는 우리의 마지막 블록이 이를 확인해 줍니다. 하지만 표는 그 절충이
# 깊이에 따라 매끄럽게 변하지는 않음을 보여 줍니다.
#
# 아래의 층 선택기는 같은 클래스의 테스트 장면 네 개에 대해 모든 블록과 모든
# 클래스를 미리 계산해 두었습니다. 층과 클래스를 고르면 맵이 바로 바뀝니다.
# 강조된 박스는 선택한 클래스의 생물입니다. 정적인 그림은 기본값, 즉 가장 깊은
# 층과, 첫 번째 장면에 대해 모델이 예측한 클래스를 보여 줍니다.

# %%
same_class = torch.nonzero(test.labels == test.labels[0]).flatten()[:4]
shown_layers = {tr(name): layer for name, layer in layers.items()}  # the names, translated
chooser = LayerChooser.from_model(flatten, shown_layers, test[same_class])
chooser.figure

# %%
chooser.widget()

# %% [markdown] en="88f13665f799"
# ### 4. GAP 모델에서는 Grad-CAM이 곧 CAM
#
# 이론 3절에 따르면 `gap_cnn`의 마지막 특징 맵($16 \times 16$이므로 $Z = 256$)에서
# $L^c_{\text{Grad-CAM}} = \mathrm{ReLU}(M_c) / 256$이어야 합니다. 같은 여덟
# 장면에 대해 둘을 계산해 비교합니다:

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

# %% [markdown] en="0790d5c25330"
# CAM이 양수인 모든 곳에서 비율은 256입니다. CAM이 음수인 곳에서 Grad-CAM은
# 0인데, 이것이 ReLU입니다. 정규화하면 두 맵은 같은 그림입니다.
#
# ### 5. 생물 두 마리, 방법 네 가지
#
# Grad-CAM 논문이 가장 즐겨 쓰는 그림은 사진 한 장 속의 고양이와 개입니다.
# "고양이"에 대한 좋은 설명은 고양이를, "개"에 대한 좋은 설명은 개를 보여
# 줍니다. 우리 버전은 `pair` 분할로, 장면마다 서로 다른 클래스의 생물 두 마리가
# 있습니다. `flatten_cnn`은 장면당 생물 한 마리로 학습했는데, 두 마리를 보면
# 어떻게 받아들일까요?

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

# %% [markdown] en="a78dcb4f312d"
# 소프트맥스는 거의 언제나 한 클래스에 확률을 거의 모두 주고, 두 생물의
# 클래스가 가장 높은 점수 두 개를 차지하는 경우조차 장면의 절반가량뿐입니다.
# 모델은 생물 하나를 고르고, 다른 하나에는 반대하는 쪽으로 기우는 경향이
# 있습니다. 그래도 문제는 없습니다. Grad-CAM은 모델이 골랐든 아니든, 우리가
# 지정하는 어떤 클래스의 점수 $y^c$든 설명합니다. 다음은 pair 장면 네 개에 대한
# 클래스별 Grad-CAM이며, 클래스 드롭다운이 있습니다(선택한 클래스의 생물
# 박스는 밝게, 다른 생물의 박스는 흐리게 그립니다):

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

# %% [markdown] en="450f6f410c1d"
# 클래스를 차례로 골라 보십시오. 모델이 그 클래스에 확률 0.00을 주는
# 경우에도, 맵은 그 머리 색을 가진 생물을 따라갑니다. Grad-CAM은 클래스
# 판별적입니다. 장면의 어느 생물도 갖지 않은 클래스라면 따라갈 것이 없고, 남는
# 것은 2절의 배경 직사각형입니다(초록을 골라 보십시오).
#
# 이제 이론의 네 가지 방법 모두로 한 장면의 두 클래스를 각각 설명해 봅니다.
# 유도 방법들은 색 채널마다 그래디언트 하나를 냅니다. 각 픽셀에서 세 채널에
# 걸친 절댓값의 최댓값을 보여 주고, 나중에 그것으로 점수를 매깁니다. 이것은
# 장면 위에 겹치지 않고 회색조 이미지로 그립니다. 검정은 그래디언트가 없는 곳,
# 흰색은 맵의 99번째 백분위수 이상인 곳입니다
# (`course_utils.plots.show_gradient`). 겹쳐 그린 맵들처럼 가장 큰 픽셀 하나에
# 맞춰 크기를 조정하면, 4,096개 픽셀 중 몇십 개만 보일 것입니다. 거친 맵인
# Grad-CAM과 가림은 장면 위에 겹쳐 그립니다. 가림은 8x8 패치를 스트라이드 8로
# (패치 위치 64개) 가리며, 가린 곳은 장면의 평균 색으로 채웁니다. 먼저 고양이와
# 개의 경우입니다. 두 생물의 클래스가 모델의 가장 높은 점수 두 개인 첫 번째
# pair 장면입니다.

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

# %% [markdown] en="d5d574b89dfe"
# 각 맵의 얼마만큼이 설명하는 생물 위에("own") 있고, 얼마만큼이 다른 생물
# 위에("other") 있을까요? 64x64에서 맵의 양수 부분 중 비율입니다(생물은 각각
# 이미지의 약 4%를 차지합니다):

# %%
# NBVAL_CHECK_OUTPUT
print_shares([(cat_and_dog, c) for c in pair.labels[cat_and_dog].tolist()])


# %% [markdown] en="60245b4d604d"
# 각 클래스에 대해 Grad-CAM, Guided Grad-CAM, 가림은 맵을 그 머리 색을 가진 생물
# 위에 두고, 다른 생물 위에는 거의 두지 않습니다(많아야 0.004). 유도 역전파의
# 이미지는 설명하는 클래스의 머리를 가장 밝게 보여 주지만, 다른 생물의 머리도
# 보여 줍니다. 빨강에서는 맵의 0.241이, 파랑에서는 0.157이 다른 생물 위에
# 있습니다. Guided Grad-CAM은 Grad-CAM의 덩어리 안에 머리의 선명한 윤곽을
# 남깁니다(맵의 0.790과 0.756이 생물 위에 있습니다). Grad-CAM의 덩어리는 4x4
# 픽셀 셀 크기이고, 가림의 덩어리는 8x8 패치 크기입니다.
#
# 첫 번째 pair 장면은 더 어렵습니다. 모델은 이 장면에 빨강 생물이 있다고
# 확신하고, 오른쪽의 초록 생물은 0보다 훨씬 낮은 점수를 받습니다. 네 가지
# 방법은 초록에 대해 무엇을 말할까요?

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

# %% [markdown] en="7bbc6e1a48fa"
# 빨강에 대해서는 네 방법이 다시 일치합니다. 초록에 대해서는 그렇지 않습니다.
# **유도 역전파**는 빨강일 때와 거의 같은 그림, 빨간 머리가 밝은 그림을
# 그립니다. 맵의 더 많은 부분이 초록 생물(0.244)보다 빨강 생물(0.274) 위에
# 있습니다. 유도 역전파는 어떤 클래스를 묻든, 네트워크의 뉴런을 자극하는 것을
# 보여 줍니다. 이것이 Grad-CAM 논문의 발견입니다: 유도 역전파는 선명하지만
# 클래스 판별적이지 않습니다. **Grad-CAM**은 모델이 이 장면은 초록이 아니라고
# 확신하는데도 초록 머리를 찾아냅니다. 그곳의 특징은 초록의 점수를 올리겠지만,
# 장면의 나머지가 그보다 더 많이 끌어내립니다. 다만 맵의 0.214만 초록 생물 위에
# 있고, 나머지의 대부분은 2절의 배경 직사각형입니다. **Guided Grad-CAM**은 유도
# 역전파의 선명한 픽셀을 초록 생물 위에만 남기며(맵의 0.721, 빨강 생물 위에는
# 0.003), 그 머리와 줄무늬 몸통의 윤곽을 그립니다. 초록에 대한 **가림**은
# 양수인 곳에서 작습니다. 8x8 패치 하나를 가리면 초록의 점수가 많아야 2.5
# 떨어집니다. 패치를 가리면 점수가 *올라갈* 수도 있는데, 최대 38.0까지입니다
# (`occlusion of green` 줄: 가장 작은 낙폭이 −38.0입니다). 양수 부분은 초록 생물(0.248)과
# 빨강 생물의 몸통(0.162)으로 나뉩니다.
#
# 위에서는 가림의 *양수 부분*을 그렸습니다. 원래의 가림 맵은 부호가 있습니다.
# 패치를 가리면 점수가 *올라갈* 수도 있기 때문입니다. 다음은 장면 0에서 초록의
# 가림 맵을 부호 있는 그대로, 그리고 정류한 것으로 보인 것이며, 각각 [0, 1]로
# 정규화했습니다:

# %%
fig = compare_maps(
    pair.images[0],
    {tr("occlusion, signed"): signed, tr("occlusion, positive part"): signed.clamp(min=0)},
)
plt.show()

# %% [markdown] en="06e897f0149e"
# 부호 있는 맵은 가장 작은 음수 셀 하나가 지배합니다. 빨간 머리를 가리면 초록의
# 점수가 38.0만큼 *올라가고*, [0, 1]로 정규화하면 이미지의 나머지 모든 셀이 1
# 가까이로 밀려 올라가서, 장면 전체가 "초록에 중요한" 것처럼 보입니다. 양수
# 부분은 초록의 점수가 기대는 것만 보여 줍니다. 이것이 다시 Grad-CAM의
# ReLU입니다(이론 2절). 클래스를 *지지하는* 증거를 남기고, 클래스에 반하는
# 것은 별도의 맵으로 봅니다(7절).
#
# 드롭다운으로 두 장면에 대해 아무 클래스나 골라 보십시오. 두 장면에 없는 두
# 클래스도 고를 수 있습니다. 기본값인 초록은 장면 1에 해당 생물이 없습니다.
# 그곳에서 Grad-CAM은 2절의 배경 직사각형을 밝히며, 셀의 0.465가 최댓값의 절반
# 이상인 반면 HiResCAM은 0.012입니다(위에 출력된 마지막 줄):

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

# %% [markdown] en="1291f7c05cf4"
# ### 6. 포인팅 게임
#
# 장면 하나로는 아무것도 증명되지 않습니다. pair 장면에서 모든 방법에 점수를
# 매깁니다. 각 장면의 두 생물 각각에 대해, 그 생물의 클래스를 설명하고, 맵의
# 최고점을 찾아(16x16이나 8x8 맵은 먼저 64x64로 쌍선형 업샘플링하므로 최고점은
# 픽셀 하나입니다), 그것이 그 생물의 마스크 위에 있으면 적중으로 셉니다.
# 꼭대기가 평평한 맵(같은 값의 픽셀들이 이룬 고원, 또는 최댓값과의 차이가 값
# 범위의 0.1% 이내인 픽셀들)은 노트북 01에서처럼 최고점 픽셀 중 적중한 비율을
# 점수로 받습니다. 허용 오차는 두 가지로 합니다. 0픽셀(정확히 마스크 위)과
# 4픽셀(논문의 224x224에서 15픽셀을 우리의 64x64 장면에 맞게 줄인 값이며, 16x16
# 맵의 셀 하나의 크기이기도 합니다)입니다. 베이스라인 맵은 장면과 상관없이 이미지
# 중앙에서 최고점을 가집니다.
#
# 가림은 비용이 큰 방법입니다. 장면과 클래스마다 순전파가 64번 필요합니다.
# 노트북을 몇 초 안에 끝내기 위해, 모든 방법에 똑같이 **처음 50개의 pair
# 장면**에서 게임을 합니다(방법마다 맵 100개).

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

# %% [markdown] en="a8c2bed64fc0"
# 표를 행별로 읽어 봅시다. 각 값은 맵 50개 중의 비율이고(마지막 열은 두 생물을
# 합친 맵 100개), 꼭대기가 평평한 맵은 최고점 픽셀 중 적중한 비율만큼 셉니다.
# 가림의 거친 8x8 맵은 업샘플링하면 100개 중 61개에서 꼭대기가 평평하며, 그래서
# 그 행의 값은 0.02 단위로 떨어지지 않습니다. 중앙 베이스라인(`centre baseline` 행)은
# 언제나 꼭대기가 평평합니다(가운데 네 픽셀이 똑같이 중앙에 있습니다).
#
# - **Grad-CAM**은 4픽셀을 허용하면 거의 매번 올바른 생물을 가리키고, 다른
#   생물은 거의 가리키지 않습니다. 0픽셀에서는 몇 개를 놓칩니다. 최고점이 4x4
#   픽셀 셀의 중심이고, 최고점이 놓이는 머리는 작고 생물의 한쪽 끝에 있어서,
#   최고점이 마스크 바로 밖에 떨어질 수 있기 때문입니다.
# - **유도 역전파**(`guided backprop` 행) 하나만으로는 클래스 판별력이 가장
#   약합니다. 위의 장면 0에서처럼, 허용 오차와 상관없이 4분의 1의 경우에 최고점이
#   *다른* 생물 위에 있습니다. 유도 역전파와 Grad-CAM의 곱인 **Guided
#   Grad-CAM**은 똑같이 선명하면서, 0픽셀에서도 거의 언제나 올바른 생물을
#   가리킵니다.
# - **가림**에는 허용 오차가 필요합니다. 최고점이 8x8 패치의 중심이어서 가느다란
#   생물 바로 옆에 떨어지는 일이 많습니다. 또 Grad-CAM보다 다른 생물 위에
#   떨어지는 경우가 더 많습니다(장면 0이 그 이유를 보여 주었습니다. 모델이 0보다
#   훨씬 아래로 밀어낸 클래스, 그 장면의 초록에서는 패치 하나를 가려도 점수가
#   많아야 2.5 떨어지는 반면, 빨간 머리를 가리면 38.0 올라갑니다). 더 촘촘한
#   스트라이드가 도움이 될 수도 있습니다. `stride=4`를 시도해 보십시오(위치
#   225개, 비용은 약 3.5배).
# - **중앙 베이스라인**은 모든 방법에 한참 뒤처집니다. 이 장면들은 생물을 아무 곳에나
#   두므로, 가운데를 가리키는 것은 전략이 되지 못합니다.
#
# 유도 역전파가 얼마나 클래스 판별적인지는 모델에 따라 다릅니다. `gap_cnn`으로
# 해 보고(위 셀에서 `flatten`을 `gap`으로 바꾸어) 비교해 보십시오.
#
# ### 7. 무엇이 클래스에 반하는가?
#
# 클래스 $c$의 반사실 맵은 가중치의 부호를 뒤집은 Grad-CAM입니다. pair
# 장면에서 왼쪽 생물의 클래스에 반하는 것은 무엇일까요? 다음은 5절의 두
# 장면이며, 각 장면의 *왼쪽* 생물 클래스에 대한 Grad-CAM과 반사실 맵을 함께
# 보입니다.

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

# %% [markdown] en="d3971974704c"
# 장면 1에서 빨강의 반사실 맵은 다른 생물의 머리를 밝힙니다. 그 특징은 경쟁
# 클래스(파랑)의 증거이고, 경쟁 클래스의 증거는 $y^{\text{red}}$를 낮춥니다.
# 모델은 장면당 생물 한 마리로 학습했고, 그런 장면에서는 한 클래스의 증거가 곧
# 다른 클래스들에 반하는 증거입니다. 장면 0은 덜 깔끔합니다. 빨강에 반하는 가장
# 강한 증거는 빨강 생물 자신의 몸통 바로 아래에 있고, 초록 생물은 희미하게
# 빛날 뿐입니다. 어느 쪽이 전형적일까요? pair 장면 200개 전체에서, 왼쪽 생물
# 클래스의 반사실 맵은 어디에서 최고점을 가질까요(허용 오차 4픽셀)?

# %%
# NBVAL_CHECK_OUTPUT
counterfactual_up = upsample(counterfactual, 64)
on_other = pointing_game(counterfactual_up, pair.masks[:, 1], tolerance=4)
on_own = pointing_game(counterfactual_up, pair.masks[:, 0], tolerance=4)
print(f"counterfactual peak on the other creature: {on_other:.3f}")
print(f"counterfactual peak on its own creature:   {on_own:.3f}")

# %% [markdown] en="56bed6f3fc30"
# 가리키는 맵은 하나의 주장이고, 그것이 가리키는 것을 제거하면 그 주장을
# 검증할 수 있습니다. 반사실 맵(64x64로 업샘플링)이 가장 높은 픽셀들, 즉
# **이미지의 5%**(204픽셀; 생물 하나는 약 160픽셀을 차지합니다)를 각 장면의 평균
# 색으로 채워 지우고, 왼쪽 클래스의 점수 $y^c$를 그 전후로 비교합니다. 두
# 대조군은 같은 수의 픽셀을 제거합니다. 하나는 무작위로, 다른 하나는
# *Grad-CAM*이 가장 높은 곳에서 제거합니다. 이야기가 맞다면, 반사실 영역을
# 제거하면 $y^c$가 올라가고, 무작위 픽셀을 제거하면 거의 변하지 않으며, Grad-CAM
# 영역을 제거하면 내려갑니다.

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

# %% [markdown] en="c53ce13f8276"
# 이야기는 들어맞습니다. 반사실 영역을 제거하면 장면 열 개 중 약 아홉 개에서
# 왼쪽 클래스의 점수가 올라가고(`share where y^c rose` 열), Grad-CAM 영역(대부분
# 왼쪽 생물의 머리)을 제거하면 점수가 무너지며, 무작위 픽셀은 점수를 거의 바꾸지
# 않습니다. 다만 상승 폭은 고르지 않고(중앙값 `median change`가 평균 `mean
# change`보다 한참 낮습니다), 마지막 줄이 그 폭이 큰 곳을 알려 줍니다. 모델이 그
# 클래스에 가장 강하게 반대했던 장면, 즉 모델이 다른 생물을 골랐던 장면입니다.
# 그 경쟁자를 지우면 낮은 점수의 이유가 사라집니다. 클래스가 이미 이기고 있던
# 곳에서는 그에 반하는 것이 거의 없어서, 반사실 영역을 제거해도 거의 변하지
# 않습니다. `flatten_cnn`의 점수는 큰 수이므로(확신이 강한 모델의 로짓), 변화도
# 큽니다.
#
# 두 장면에서 제거한 모습은 다음과 같으며, 제거할 때마다의 왼쪽 클래스 점수를
# 함께 보입니다:

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

# %% [markdown] en="6d0a738c98cd"
# 두 장면 모두에서 모델은 이미 빨강을 골랐으므로, 빨강에 반하는 것 중 제거할
# 것이 거의 없었습니다. 반사실 영역(장면 1에서는 거친 맵이 최고점을 가지는, 파란
# 머리 옆의 한 조각)을 제거하면 $y^{\text{red}}$가 약 1점 올라가고, 무작위 픽셀은
# 눈에 보이는 변화를 주지 않으며, Grad-CAM 영역인 빨간 머리를 제거하면 점수가 0
# 아래로 떨어집니다.
#
# **한 클래스를 넘어서: 마진.** Grad-CAM은 미분 가능한 점수라면 무엇이든
# 설명합니다(이론 1절). "왜 초록이 *아니라* 빨강인가?"는 두 생물의 클래스 사이의
# 마진 $y^a - y^b$로, 장면마다 스칼라 하나입니다. 모델을 감싸서 그 마진만
# 출력하게 하면, 라이브러리의 `grad_cam`은 이것을 클래스 점수처럼
# 설명하고(타깃 0, 유일한 출력), `counterfactual_grad_cam`은 무엇이 그것을
# 낮추는지 보여 줍니다. 그래디언트는 선형이므로 마진의 가중치는
# $\alpha^a_k - \alpha^b_k$입니다. 즉 ReLU 이전의 맵은 두 클래스 맵의 차이이며,
# 첫 줄에서 이를 확인합니다.

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

# %% [markdown] en="d30578d0dc10"
# 맵 하나에 생물 둘. 마진의 ReLU 이전 맵은 정확히 두 클래스 맵의 차이입니다(첫
# 줄). 그 양수 부분, 즉 $y^a - y^b$를 올리는 것은 장면 200개 중 0.990에서 왼쪽
# 생물 위에 최고점을 가지고, 음수 부분, 즉 그것을 낮추는 것은 0.995에서 오른쪽
# 생물 위에 최고점을 가집니다. 장면 0에서는 "against" 맵이 배경도 밝힙니다.
# 초록의 맵이 마이너스 부호를 달고 마진에 들어오면서 그 직사각형도 함께 가져오기
# 때문입니다. 같은 래퍼로 모델이 계산하는 어떤 스칼라든 설명할 수 있습니다.
# 클래스들의 합, 확률, 캡셔닝 모델이 문장에 주는 로그 확률 등입니다.

# %% [markdown] en="0248cc5683ed"
# ### 8. 실제 사진 (사전 학습된 가중치를 구할 수 있을 때)
#
# 지금까지는 모두 작은 합성 장면에서 실행했습니다. 같은 함수로 실제 사진에 대한
# 실제 ImageNet 모델도 설명할 수 있습니다. torchvision의 ResNet-18을 마지막
# 합성곱 단계인 `layer4`(특징 맵 512개, 224x224 입력에서 7x7)에서, 모델이 1위로
# 꼽은 클래스에 대해 설명합니다. 사진은 matplotlib에 포함되어 있습니다(프로그래밍
# 언어의 선구자 Grace Hopper). 모델의 가중치는 코스에 포함되어 있지 않습니다.
# `load_imagenet_resnet18`은 torch hub 캐시에서 가중치를 읽거나, Binder에서처럼
# 내려받습니다(45 MB). 오프라인인 데다 캐시도 없으면 한 문장으로 그렇게 알리고,
# 노트북은 계속 진행됩니다(지금 읽고 있는 저장본에 그림 대신 그 문장이 보인다면,
# 오프라인에서 실행한 것입니다).

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

# %% [markdown] en="9fa75b3c497e"
# ## 토론과 요약
#
# - Grad-CAM은 각 특징 맵을 클래스 점수(소프트맥스 이전)의 그래디언트의 공간
#   평균으로 가중하고, 가중합의 양수 부분을 남깁니다. 순전파 한 번과 부분적인
#   역전파 한 번이 필요하며, 모델은 바꿀 필요가 없습니다.
# - 순전파 훅과 `torch.autograd.grad`로 손으로 계산한 결과는 라이브러리의 값과
#   반올림 오차 범위에서 같았습니다.
# - Grad-CAM은 CAM이 읽을 수 없는 헤드(`flatten_cnn`)와 임의의 층도 설명합니다.
#   GAP + 선형 모델에서는 Grad-CAM이 *곧* CAM, 즉 $\mathrm{ReLU}(M_c)/Z$이며,
#   우리의 16x16 맵에서는 $Z = 256$입니다. 다른 헤드에서는 평균한 그래디언트가
#   요약일 뿐입니다. `flatten_cnn`에서 Grad-CAM은 초록에 대해 배경 직사각형을
#   밝힙니다. 그래디언트와 활성값을 위치별로 곱하는 HiResCAM은 배경에 맵을 약
#   3분의 1만큼만 두지만, 마지막 층에서는 생물을 가리키는 경우가 더 적습니다.
# - 깊어질수록 꾸준히 나아지는 것은 아닙니다. 마지막 블록의 Grad-CAM이 가장 잘
#   가리키고, 블록 2가 블록 3보다 나으며, 블록 3에서는 맵 다섯 개 중 하나가 비어
#   있습니다(ReLU 이전에 모든 곳에서 0보다 작음). HiResCAM의 맵은 한 번도 비지
#   않습니다.
# - 생물 두 마리가 있는 장면에서 Grad-CAM과 Guided Grad-CAM은 거의 언제나 올바른
#   생물을 가리킵니다. 유도 역전파 하나만으로는 선명하지만 클래스 판별적이지
#   않아서, 최고점의 4분의 1이 다른 생물 위에 떨어집니다. 그래디언트는
#   이미지입니다. 99번째 백분위수에서 잘라 회색조로 그리면 윤곽선이 보이고, 가장
#   큰 픽셀 하나에 맞춰 크기를 조정하면 텅 빈 것처럼 보입니다. 가림은
#   그래디언트가 필요 없지만 거칠고 비용이 크며, Grad-CAM에 ReLU가 있듯 부호 있는
#   맵은 그 양수 부분을 취해야 합니다. 포인팅 게임은 "맞아 보인다"를 숫자로
#   바꾸며, 거친 맵에서는 허용 오차가 중요하다는 것을 보여 줍니다.
# - 반사실 맵은 대부분 다른 생물을 가리킵니다. 그것이 보여 주는 것을 제거하면
#   클래스 점수가 올라가고(모델이 그 클래스에 가장 강하게 반대했던 곳에서 가장
#   크게), Grad-CAM 영역을 제거하면 내려갑니다. 모델에 대한 주장을 모델로 검증한
#   것입니다.
# - 미분 가능한 스칼라라면 무엇이든 설명할 수 있습니다. pair 장면의 마진
#   $y^a - y^b$는 양수 부분이 한 생물 위에, 음수 부분이 다른 생물 위에 있습니다.
# - 같은 호출 `grad_cam(model, layer, images, target)`로, 가중치를 구할 수
#   있다면 실제 사진에 대한 ImageNet ResNet-18을 `layer4`에서 설명합니다.
#
# Grad-CAM이 고치지 *못하는* 것: 여전히 주로 판별적인 부분(머리: 3절의 표를
# 보십시오)을 보므로, 그로부터 그린 박스는 생물의 일부만 덮습니다. 그것이
# 노트북 04의 질문(맵을 어떻게 박스로 바꾸고, 어떻게 측정할 것인가)이고,
# 노트북 05의 답(ACoL)입니다.
#
# ## 연습 문제
#
# 각 연습 문제는 무엇이 맞았는지, 또는 무엇이 기대되었는지 알려 주는 확인으로
# 끝납니다. 답은 `None`(또는 예외를 일으키는 함수)으로 시작하므로, 채워 넣기
# 전까지 확인은 "아직 아닙니다"라고 말합니다. 풀이는 별도의 노트북
# [solutions/03_grad_cam_solutions.ipynb](solutions/03_grad_cam_solutions.ipynb)에
# 있어서, 연습 문제 아래에 답이 보이지 않습니다. 먼저 직접 풀어 보십시오.
#
# **연습 문제 1: ReLU가 버리는 것.** (a) Grad-CAM의 ReLU *이전* 맵
# $\sum_k \alpha_k^c A^k$를 이미지마다 `[h, w]` 맵 하나로 돌려주는
# `signed_grad_cam`을 작성하십시오. 활성값과 그래디언트는
# `read_layer(model, layer, images, target, method="mine")`(`course_utils.hooks`에
# 있습니다)로 얻을 수 있습니다. (b) pair 장면 0에는 빨강 생물(왼쪽)과 초록 생물이 있고, 모델은
# 빨강이라고 확신합니다. 먼저 추측해 보십시오. 빨강 맵의 256개 셀 중 어느 정도의
# 비율에서 가중합이 0 *미만*일까요? 그다음 여러분의 함수로 계산하십시오.

# %%
def signed_grad_cam(model, layer, images, target=None):
    """sum_k alpha_k^c A^k, without the ReLU: [N, h, w]."""
    raise NotImplementedError  # your code here


share_negative = None  # a number between 0 and 1
display(checks.check_signed_grad_cam(signed_grad_cam))
display(checks.check_negative_share(share_negative))

# %% [markdown] en="6403923c9795"
# **연습 문제 2: 손으로 구하는 alpha.** 장난감 층에 2x2 특징 맵 두 개,
# $A^1 = \begin{pmatrix} 1 & 2 \\ 0 & 1 \end{pmatrix}$과
# $A^2 = \begin{pmatrix} 1 & -1 \\ 2 & 2 \end{pmatrix}$
# (`checks.TOY_ACTIVATION`)가 있고, 클래스 점수는
# $y = 3A^1_{00} + A^1_{11} - 2A^2_{01} + \tfrac12 \sum_{ij} (A^2_{ij})^2$
# (`checks.toy_score`)입니다. $\alpha_1$과 $\alpha_2$를 종이와 펜으로 계산한 다음,
# 확인해 보십시오(원한다면 `torch.autograd.grad`로).

# %%
alpha = None  # [alpha_1, alpha_2]
checks.check_toy_alpha(alpha)


# %% [markdown] en="1c265d0926b2"
# **연습 문제 3: 손으로 하는 가림, 그리고 그 점수.** (a)
# `occlude(model, images, classes, patch)`를 작성하십시오. 간격이 `patch`인
# 격자의 각 패치 위치(`patch=8`이면 8x8개 위치)에 대해, 모든 이미지의 그 패치를
# 이미지의 평균 색으로 채우고, 클래스 점수의 *감소량*
# $y^c(x) - y^c(x \text{ occluded})$(소프트맥스 이전의 로짓)를 기록합니다.
# `[N, H / patch, W / patch]`를 돌려주십시오. 그래디언트는 필요 없으므로
# `torch.no_grad()`를 쓰십시오. (b) 포인팅 게임으로 여러분의 맵에 점수를
# 매기십시오. 처음 20개의 pair 장면에서 왼쪽 생물의 클래스를 설명하고, 맵을
# 64x64로 업샘플링한 다음, 허용 오차 4픽셀로 게임을 합니다. 6절 표의 가림
# 행(`occlusion`)과 비교해 보십시오(장면 50개, 역시 스트라이드 8).

# %%
def occlude(model, images, classes, patch=8):
    """Occlusion drops [N, H // patch, W // patch], patches filled with each image's mean."""
    raise NotImplementedError  # your code here


occlusion_hits = None  # the pointing-game score, a number between 0 and 1
display(checks.check_occlusion(occlude))
display(checks.check_occlusion_pointing(occlusion_hits))

# %% [markdown] en="92857b90e00e"
# **연습 문제 4: 어느 생물인가?** pair 장면 3에는 왼쪽에 빨강 생물, 오른쪽에
# 노랑 생물이 있습니다. `flatten_cnn`을 `flatten.features`에서 설명할 때: (a)
# 빨강의 *반사실* 맵은 어디에서 최고점을 가질까요? `"left"` 생물, `"right"`
# 생물, 아니면 `"neither"`(최고점에서 4픽셀 안에 생물이 없음)일까요? (b) 그리고
# 두 생물 모두 갖지 않은 클래스인 파랑의 Grad-CAM 맵은요? 먼저 추측한 다음
# 계산해 보십시오(맵을 64x64로 업샘플링하고, argmax를 구하고, `pair.masks[3]`을
# 보십시오).

# %%
answer_a = None  # "left", "right" or "neither"
answer_b = None
display(checks.check_pointed_object(answer_a, index=3, class_index=0, counterfactual=True))
display(checks.check_pointed_object(answer_b, index=3, class_index=2))
