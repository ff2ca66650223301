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

# %% [markdown] en="681cb04a3404"
# # 05 · ACoL: 적대적 상보 학습(adversarial complementary learning)
#
# ## 이 노트북의 목표
#
# 노트북 04는 하나의 진단으로 끝났습니다. 클래스 활성화 맵(class activation
# map, CAM)은 생물(creature)의 작고 판별력 있는 머리를 밝히고 몸통의 대부분은
# 어둡게 남겨 두므로, 맵에서 그린 박스가 너무 작다는 것입니다. 이 노트북에서는
# Zhang 외가 2018년에 제안한 처방을 시험합니다. 분류기(classifier)가 먼저 찾은
# 것을 **지우고**(erase), 두 번째 분류기가 남은 부분에서 클래스를 찾게 하는
# 방법입니다. 이 아이디어를 식에서부터 쌓아 올리고, 슬라이더로 작동하는 모습을
# 지켜보고, 여기서 몇 초 동안 직접 학습시킨 다음, 04와 같은 공정한 프로토콜로,
# 곧 Choe 외(2020)가 측정하는 방식으로, 이것이 평범한 CAM보다 위치를 더 잘
# 찾는지 측정합니다. 신뢰구간(confidence interval)과 함께 얻는 답은 이렇습니다: 박스는 더 좋아지고,
# 픽셀은 더 나빠집니다. ACoL의 맵은 몸통을 더 많이 덮지만 배경도 더 많이 덮으며,
# 완전한 레이블이 달린 장면(scene) 400개로 학습한 작은 모델이 둘 다를 크게
# 앞섭니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - ACoL의 구조(공유 백본(backbone), 분류기 A, 지우기(erasing) 단계, 분류기 B,
#   융합된 맵)를 그리고 그 식을 쓸 수 있습니다;
# - 주어진 맵과 지우기 임계값(erase threshold) $\delta$에 대해 어느 특징
#   위치가 지워지는지, 그리고 융합된 위치 추정(localization) 맵을 손으로 계산할 수 있습니다;
# - 지우기가 왜 분류기 B로 하여금 객체의 나머지 부분을 배우게 하는지, 그리고
#   $\delta$를 낮추면(더 많이 지우면) 왜 맵이 더 넓게 퍼지지만 B의 일은 더
#   어려워지는지 설명할 수 있습니다;
# - ACoL 모델을 학습시키고 Choe 외(2020)의 방식으로 CAM과 비교할 수 있습니다:
#   맵 임계값은 점수를 매기는 분할에서 주변화(marginalise)하고, $\delta$는
#   홀드아웃(held-out) 장면에서 고르고, 여러 학습 시드(seed)를 쓰고, 부트스트랩
#   신뢰구간을 구하고, 약지도(weak supervision)가 필요 없는 베이스라인(baseline)과
#   나란히 놓습니다;
# - 평균적으로 ACoL이 CAM보다 낮고, 완전한 레이블이 달린 소수의 이미지가 둘
#   다를 앞선다는 Choe 외의 결과에 비추어, 결과를 비판적으로 읽을 수 있습니다.
#
# ### 차례
#
# **이론**
# 1. CAM이 머리에서 멈추는 이유
# 2. 숨기기와 지우기
# 3. ACoL, 식 하나하나
# 4. 공정한 비교
#
# **실습**
# 1. 제공되는 모델
# 2. 그림으로 보는 구조
# 3. 손으로 해 보는 ACoL 순전파(forward pass) 한 번
# 4. 지우기 임계값 탐색기
# 5. 각 $\delta$에서 분류기 B가 보는 것
# 6. 여기서 ACoL 학습시키기
# 7. 홀드아웃 장면에서 $\delta$ 고르기
# 8. 1,000개 테스트 장면에서 CAM 대 ACoL
# 9. 박스는 어디에 놓이는가
#
# **토론과 요약**
#
# **연습 문제**(exercise, 자가 확인 포함); 풀이(solution)는 별도의 노트북에 있습니다.
#
# ### 참고 문헌
#
# - Zhang, Wei, Feng, Yang, Huang (2018). *Adversarial Complementary Learning
#   for Weakly Supervised Object Localization.* CVPR. (ACoL)
# - Singh, Lee (2017). *Hide-and-Seek: Forcing a Network to be Meticulous for
#   Weakly-supervised Object and Action Localization.* ICCV.
# - Choe, Oh, Lee, Chun, Akata, Shim (2020). *Evaluating Weakly Supervised
#   Object Localization Methods Right.* CVPR. (MaxBoxAccV2, PxAP, 그리고 공정한
#   비교)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM)
# - Wei, Feng, Liang, Cheng, Zhao, Yan (2017). *Object Region Mining with
#   Adversarial Erasing.* CVPR. (오프라인 지우기, 분할(segmentation)용)

# %% [markdown] en="bb0e21d930b5"
# ## 이론
#
# ### 1. CAM이 머리에서 멈추는 이유
#
# CAM(노트북 02)을 떠올려 봅시다. 백본은 이미지를 16×16 격자 위의 특징
# 맵(feature map) $K$개 $f_k(x, y)$로 바꾸고, 전역 평균 풀링(global average
# pooling, GAP) 뒤에 놓인 선형 헤드(head)가 가중치(weight) $w_k^c$로 클래스
# $c$의 점수를 냅니다.
#
# $$S_c = \frac{1}{hw}\sum_{x,y} M_c(x, y), \qquad M_c(x, y) = \sum_k w_k^c f_k(x, y).$$
#
# 학습은 정답 클래스의 $S_c$를 끌어올릴 뿐, 그 밖의 것은 요구하지 않습니다.
# 우리 세계에서 생물의 머리는 클래스를 거의 확실하게 알려 주고, 몸통은 힌트만
# 줍니다. 머리만으로 점수가 충분히 높아지면 교차 엔트로피(cross-entropy)
# 손실은 0에 가까워지고, 네트워크에게 몸통까지 찾으라고 요구하는
# 그래디언트(gradient)는 더 이상 없습니다. 그래서 $M_c$는 머리에서 최고점(peak)을
# 이루고 몸통에서는 낮게 머뭅니다. 맵의 높은 부분을 둘러싼 박스는 머리
# 주위에 놓이고, 생물 전체를 담을 만큼 큰 박스를 얻으려면 임계값(threshold)을
# 아주 낮춰야 해서, 박스가 헐겁고 머리 쪽으로 끌려갑니다. 노트북 04는 덮는
# 비율을 측정했고, 아래 9절은 박스의 크기와 위치를 측정합니다.
#
# ### 2. 숨기기와 지우기
#
# 네트워크가 머리만으로 너무 만족한다면, 머리를 치워 버리면 됩니다.
#
# - **Hide-and-Seek**(Singh & Lee 2017)는 순전파 전에 각 학습 이미지를 패치
#   격자로 자르고 각 패치를 무작위로(확률 1/2로) 숨깁니다. 머리가 숨겨지면
#   네트워크는 몸통을 써야 합니다. 테스트 때는 아무것도 숨기지 않으므로, 맵은
#   둘 다를 덮습니다. 이 숨기기는 눈을 가린 채 이루어집니다. 머리가 어디
#   있는지 알지 못합니다.
# - **적대적 지우기**(adversarial erasing, Wei 외 2017)는 표적을 정합니다.
#   네트워크를 학습시키고, 그 맵이 찾은 영역을 이미지에서 지우고, 지운
#   이미지로 두 번째 네트워크를 학습시키는 일을 몇 차례 되풀이합니다. 효과는
#   있지만 여러 네트워크를 차례로 학습시켜야 합니다.
# - **ACoL**(Zhang 외 2018)은 이 표적 지우기를 *하나의* 네트워크 안에서, *한
#   번의* 순전파로, 이미지가 아니라 *특징 맵*에서 합니다. 한 분류기가 가장
#   판별력 있는 영역을 찾으면 그 영역을 공유 특징에서 지우고, 두 번째 분류기는
#   나머지로 분류해야 합니다. 두 분류기는 종단 간(end to end)으로 함께
#   학습됩니다.
#
# ### 3. ACoL, 식 하나하나
#
# 공유 백본이 특징 맵 $f_k(x, y)$를 냅니다. 각 분류기는 클래스마다 출력 맵
# 하나를 내는 1×1 합성곱(convolution)과 그 뒤의 전역 평균 풀링으로
# 이루어집니다. 노트북 06의 클래스 맵 헤드와 똑같습니다.
#
# **분류기 A**는 특징을 있는 그대로 읽습니다.
#
# $$M^A_c(x, y) = \sum_k w^{A}_{k,c}\, f_k(x, y), \qquad S^A_c = \frac{1}{hw} \sum_{x, y} M^A_c(x, y).$$
#
# **지우기 단계.** 표적 클래스 $c$(학습 때는 레이블 $y$)에 대한 A의 맵을
# 가져와 $[0, 1]$로 최소-최대 정규화(min-max normalise)하고,
#
# $$\tilde M^A_c = \frac{M^A_c - \min M^A_c}{\max M^A_c - \min M^A_c},$$
#
# 그 맵이 **지우기 임계값** $\delta$에 이르는 위치에서 모든 특징 맵을 0으로
# 만듭니다.
#
# $$\tilde f_k(x, y) = f_k(x, y)\, \big[\tilde M^A_c(x, y) < \delta\big].$$
#
# 대괄호는 조건이 성립하면 1, 성립하지 않으면 0이므로, 어떤 위치는 그곳의 A의
# 맵이 $\delta$*보다 작을* 때만 살아남습니다. $\delta$가 *낮을수록* 더 *많이*
# 지웁니다. $\delta = 1$이면 최고점만 지워지고, $\delta = 0.5$이면 A의 범위의
# 절반 위에 있는 모든 것이 지워집니다.
#
# **분류기 B**는 남은 것만 봅니다.
#
# $$M^B_c(x, y) = \sum_k w^{B}_{k,c}\, \tilde f_k(x, y), \qquad S^B_c = \frac{1}{hw} \sum_{x, y} M^B_c(x, y).$$
#
# **학습**은 두 분류기의 교차 엔트로피의 합을 최소화합니다.
#
# $$\mathcal{L} = \mathrm{CE}(S^A, y) + \mathrm{CE}(S^B, y).$$
#
# 지우기 마스크(mask)는 딱딱한(hard) 임계값이므로 그것을 거쳐서는
# 그래디언트가 흐르지 않습니다(우리 코드는 임계값을 적용하기 전에 A의 맵을
# 떼어 냅니다(detach)). A는 자기 손실에서만 배웁니다. B의 손실은 살아남은
# 위치를 거쳐 백본에 닿고, 바로 이것이 공유 특징을 몸통 쪽으로 끌어당깁니다.
# B가 손실을 낮출 수 있는 길은 A의 최고점이 덮지 않는 증거(evidence)뿐이기 때문입니다.
# 두 분류기는 이런 뜻에서 "적대적"이고, 찾아내는 것에서 "상보적"입니다.
#
# **위치 추정**은 두 맵을 모두 씁니다. 각 맵을 따로 정규화한 다음
# 위치마다 합칩니다.
#
# $$M^{\text{fused}}_c(x, y) = \max\big(\tilde M^A_c(x, y),\ \tilde M^B_c(x, y)\big).$$
#
# 테스트 때 표적 클래스는 A의 예측입니다. 클래스를 아는 위치 추정(04에서처럼
# GT-known)에서는 정답 클래스입니다. B의 맵에 필요하므로, 지우기는 테스트 때도
# 순전파의 일부입니다.
#
# **우리 것은 작은 ACoL입니다.** 논문의 분류기는 1×1 합성곱 앞에 3×3
# 합성곱을 더 두고, VGG-16이나 GoogLeNet 위에 놓입니다. 우리 분류기는 코스의
# 작은 백본 위의 1×1 합성곱 하나씩이어서(`course_utils.models.ACoL`과
# `class_map_branch` 참고) 모델 하나가 CPU에서 몇 초 만에 학습됩니다. 지우기에
# 맞춰 적응하는 일은 모두 공유 백본에서 일어납니다.
#
# ### 4. 공정한 비교
#
# ACoL 논문은, 그 시기의 약지도 위치 추정 논문 대부분처럼, 고정된 맵 임계값
# 하나에서의 박스 정확도를 보고했고 하이퍼파라미터는 테스트 데이터에서
# 조정했습니다. Choe 외(2020)는 임계값 하나만으로도 한 방법의 점수가 몇
# 포인트씩 움직일 수 있음을 보였고, 프로토콜을 두 개의 별도 규칙으로
# 고정했습니다.
#
# - **맵 임계값은 점수를 매기는 분할에서 주변화합니다.** MaxBoxAccV2는 IoU
#   수준 0.3, 0.5, 0.7 각각에서 100개 임계값 중 *가장 좋은* 것에서의 박스
#   정확도를 평균한 것입니다. PxAP는 모든 임계값에 걸친 픽셀 정밀도-재현율
#   곡선 아래 넓이입니다. 테스트 세트에서 그 최선의 임계값은 정의의 일부이며
#   (그들은 이것을 오라클 임계값(oracle threshold)이라고 부릅니다), 모든
#   방법에 똑같이 적용됩니다. 그것을 테스트에서 고르는 것은 프로토콜이지
#   지름길이 아닙니다.
# - **방법 자신의 하이퍼파라미터와 모델은 완전한 레이블이 있는 작은 홀드아웃
#   분할(held-out split)에서 고르며**(`train-fullsup`: 클래스마다 박스나
#   마스크가 있는 이미지 몇 장), 결코 테스트에서 고르지 않습니다. ACoL에서는
#   그것이 지우기 임계값 $\delta$입니다. 테스트 장면에서 $\delta$를 고르면
#   ACoL만 유리해집니다. ACoL은 일곱 번 시도하는데(7절이 비교하는, $\delta$ =
#   0.3, 0.4, …, 0.9로 학습한 모델 일곱 개), CAM은 한 번도 시도하지 않기
#   때문입니다.
#
# 그들은 또 홀드아웃 레이블 자체가 하나의 자원이라고 주장했습니다. 그 소수의
# 레이블된 이미지로 완전 지도(full supervision) 학습한 작은 모델(*퓨샷
# 학습*(few-shot learning) 베이스라인)을 이겨야 비로소 약지도가 그만한 가치가
# 있다는 것입니다.
#
# **그들이 발견한 것**(wsolevaluation의 주 표: ImageNet과 CUB에서는
# MaxBoxAccV2, OpenImages에서는 PxAP, 각각 VGG, Inception, ResNet 백본에 대한
# 평균):
#
# | 방법 | ImageNet | CUB | OpenImages (PxAP) | 전체 |
# |---|---:|---:|---:|---:|
# | CAM (2016) | 62.4 | 61.1 | 60.0 | 61.2 |
# | ACoL (2018) | 61.2 | 60.0 | 56.3 | 59.2 (−2.0) |
# | 퓨샷 학습 | | | | 71.9 |
# | 중심 가우시안 | | | | 52.3 |
#
# 그들이 다시 평가한 CAM 이후의 다섯 방법(Hide-and-Seek, ACoL, SPG, ADL,
# CutMix) 가운데 ACoL이 가장 나빴고, 백본 × 데이터 세트 설정 9개 중 7개에서
# CAM보다 낮았습니다. 다섯 방법 중 어느 것도 CAM을 뚜렷이 이기지 못했고,
# 완전한 레이블이 달린 소수의 이미지가 그 모두를 약 10포인트 차이로
# 이겼습니다. ACoL이 가장 크게 진 것은 픽셀 측정, 곧 OpenImages의 PxAP입니다.
# 아래에서 우리 자신의 PxAP를 볼 때 이것을 기억해 두십시오.
#
# 이 노트북은 두 규칙을 모두 따릅니다. $\delta$는 400개의 홀드아웃 장면에서
# 고르고(7절), 고른 모델은 1,000개의 테스트 장면에서 단 한 번, 세 개의 학습
# 시드와 부트스트랩 신뢰구간과 함께, 베이스라인들 옆에서 점수를 매깁니다(8절).
#
# **코스의 ACoL이 논문의 것과 다른 점**과 그 이유:
#
# - *분류.* 논문(과 wsolevaluation)은 분류기 A로 분류합니다. 우리
#   `ACoL.forward`는 A와 B의 로짓(logit)을 평균합니다. 이 노트북의 어떤 숫자도
#   여기에 좌우되지 않습니다. 위치 추정 맵은 정답 클래스를 쓰고(GT-known),
#   매니페스트(manifest)는 평균 옆에 A 단독의 정확도도 기록합니다(A 단독은
#   모든 테스트 장면에서 맞습니다).
# - *분류기.* 공식 코드는 분기(branch) 앞에서 공유 특징을 3×3 평균 풀링으로
#   매끄럽게 하고, 각 분기는 1×1 합성곱 앞에 편향(bias)이 있는 3×3 합성곱을 더
#   둡니다. 우리 것은 원시 특징 위의 편향 없는 1×1 합성곱 하나씩이어서, 모델
#   하나가 CPU에서 몇 초 만에 학습됩니다(지우기에 맞춰 적응하는 일은 모두 공유
#   백본에서 일어납니다). 이것을 바꾸려면 모든 ACoL 모델을 다시 학습시켜야
#   합니다.
# - *$\delta$.* 공식 코드는 $\delta = 0.6$을 씁니다. 이 값은 우리 격자에
#   들어 있고, 선택은 홀드아웃 분할이 합니다.
#
# 지우기, 손실, 융합된 맵은 연산 하나하나까지 논문의 것과 같습니다.

# %% [markdown] en="d01489c04bb2"
# ## 실습
#
# 모든 것은 `course_utils`에서 옵니다: 제공되는 모델, 고정된 테스트 장면과
# 점수 표(`data/manifest.json`과 대조해 확인합니다), 학습, 노트북 04의 지표,
# 그림, 그리고 ACoL 탐색기입니다. 연습 문제의 자가 확인은 `course_checks.acol`에
# 있습니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from course_utils.checkpoints import load_manifest, load_model, load_split
from course_checks import acol as checks
from course_utils.comparison import load_comparison_tables, true_class_maps
from course_utils.language import tr
from course_utils.localization import (
    box_accuracy_from_ious,
    box_accuracy_table,
    box_iou,
    box_ious_at_thresholds,
    default_cam_thresholds,
    localize_at_threshold,
    mean_map_by_region,
)
from course_utils.maps import min_max_normalise, to_image
from course_utils.protocol import (
    METRICS,
    bootstrap_scores,
    box_centres,
    difference_interval,
    largest_component_boxes,
    mask_centroids,
    max_box_acc_v2_from_tables,
    pxap_from_tables,
    resample_weights,
    score_tables,
    select_on_heldout,
    tables_agree,
    weighted_mean_interval,
)
from course_utils.plots import (
    FIG_WIDTH,
    GT_COLOUR,
    LABEL_SIZE,
    PRED_COLOUR,
    TITLE_SIZE,
    add_colorbar,
    class_label,
    draw_box,
    overlay_map,
)
from course_utils.scenes import CLASS_NAMES, make_scenes
from course_utils.train import (
    EXTRA_SEEDS,
    PXAP_DELTA,
    SELECTED_DELTA,
    TRAIN_SEED,
    TrainConfig,
    build_model,
    train,
)
from course_utils.widgets import ACoLExplorer

# %% [markdown] en="9632d932e2e3"
# ### 1. 제공되는 모델
#
# `data/`에는 CAM 베이스라인 `gap_cnn`과 지우기 임계값 $\delta$ = 0.3 … 0.9로
# 학습한 ACoL 모델 일곱 개 `acol_03` … `acol_09`가 있습니다. 모두 같은 백본
# 구조를 공유하고 같은 방식으로 학습했습니다(장면 6,000개에서 6 에포크, 시드
# 0). 8절에서는 `gap_cnn`과 7절이 고르는 ACoL에 대해 시드를 두 개씩 더하고,
# 퓨샷 베이스라인도 더합니다. 매니페스트는 각 모델의 테스트 정확도를 기록하고,
# ACoL에 대해서는 각 분류기 단독의 정확도도 기록합니다(테스트 때 A가 예측한
# 클래스를 지웁니다).

# %%
# NBVAL_CHECK_OUTPUT
test = load_split("test")  # 1,000 frozen test scenes with masks, boxes and head masks
heldout = load_split("heldout")  # 400 more, for choosing delta only (section 7)
manifest = load_manifest()["models"]
GRID = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)  # least erasing (closest to CAM) first: ties keep it
ACOL_NAMES = {d: f"acol_{round(d * 10):02d}" for d in GRID}
cam_model = load_model("gap_cnn")
acol_models = {d: load_model(name) for d, name in ACOL_NAMES.items()}

print(f"{'model':<10}{'delta':>7}{'test acc.':>11}{'A alone':>9}{'B alone':>9}")
print(f"{'gap_cnn':<10}{'-':>7}{manifest['gap_cnn']['test_accuracy']:>11.3f}")
for d, name in sorted(ACOL_NAMES.items()):
    entry = manifest[name]
    assert acol_models[d].delta == d
    print(f"{name:<10}{d:>7.1f}{entry['test_accuracy']:>11.3f}"
          f"{entry['branch_a_test_accuracy']:>9.3f}{entry['branch_b_test_accuracy']:>9.3f}")

# %% [markdown] en="cc902fe8e98a"
# 모든 모델이 거의 완벽하게 분류하고, 모든 ACoL 모델의 분류기 A도
# 그렇습니다. A는 언제나 머리를 읽을 수 있기 때문입니다. 분류기 B는 그렇지
# 못합니다. $\delta = 0.5$에서는 장면 5개 중 약 4개에서만 맞고, 더 많이 볼 수
# 있을수록($\delta$가 높을수록) 더 잘합니다. 그 열(`B alone`)이 지우기의
# 대가입니다. 7절을 위해 기억해 두십시오.

# %% [markdown] en="2660f9e67e4b"
# ### 2. 그림으로 보는 구조
#
# 코드에 앞서, 데이터의 흐름입니다. 공유 백본은 분류기 A에는 곧바로, 분류기
# B에는 지우기 단계를 거쳐 특징을 넘깁니다. 표적 클래스에 대한 A의 정규화된
# 맵이 무엇을 지울지 정합니다. 각 분류기는 자기 손실을 가지며, 정규화된 두
# 맵이 합쳐져 위치 추정 맵이 됩니다.

# %%
def draw_acol_diagram():
    """ACoL's data flow: boxes for the steps, arrows for the tensors (shapes for the course's
    models)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.9))
    ax.set_xlim(-0.1, 10.2)
    ax.set_ylim(-0.15, 4.75)
    ax.set_axis_off()
    colours = {
        "data": "#e8e8e8",
        "A": "#cfe3f7",
        "B": "#fbe0c8",
        "erase": "#f3c4c4",
        "out": "#d7efd2",
    }

    def box(x, y, w, h, text, kind):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05",
                                    facecolor=colours[kind], edgecolor="0.3", linewidth=1))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=LABEL_SIZE)
        return (x, y, w, h)

    def arrow(start, end, text=None, offset=(0, 0.12)):
        ax.annotate(
            "", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="0.25", lw=1.3)
        )
        if text:
            ax.text((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1], text,
                    ha="center", va="bottom", fontsize=LABEL_SIZE - 1, color="0.25")

    image = box(0.0, 1.85, 1.15, 0.9, tr("image\n3×64×64"), "data")
    backbone = box(1.6, 1.75, 1.35, 1.1, tr("shared\nbackbone\n$f_k$: 64×16×16"), "data")
    a_text = tr("classifier A\n1×1 conv → $M^A$\n($M^A$: 4×16×16)\nGAP → $S^A$")
    a = box(3.7, 3.35, 2.0, 1.2, a_text, "A")
    erase_text = tr("erase\n$\\tilde f_k = f_k\\,[\\tilde M^A_c < \\delta]$")
    erase = box(3.7, 0.0, 2.0, 1.2, erase_text, "erase")
    b = box(6.3, 0.0, 1.75, 1.2, tr("classifier B\n1×1 conv → $M^B$\nGAP → $S^B$"), "B")
    fused_text = tr("localization\n$\\max(\\tilde M^A_c, \\tilde M^B_c)$")
    fused = box(6.3, 1.75, 1.75, 1.1, fused_text, "out")
    loss_a = box(8.6, 3.55, 1.5, 0.8, "$\\mathrm{CE}(S^A, y)$", "A")
    loss_b = box(8.6, 0.2, 1.5, 0.8, "$\\mathrm{CE}(S^B, y)$", "B")
    ax.text(9.35, 2.3, tr("loss =\nsum of\nthe two"), ha="center", va="center",
            fontsize=LABEL_SIZE)

    arrow((image[0] + image[2], 2.3), (backbone[0], 2.3))
    arrow((backbone[0] + backbone[2], 2.6), (a[0], a[1] + 0.4))
    arrow((backbone[0] + backbone[2], 2.0), (erase[0], erase[1] + 0.8))
    arrow((a[0] + 1.0, a[1]), (erase[0] + 1.0, erase[1] + erase[3]),
          tr("$\\tilde M^A_c$: normalised,\nthresholded at $\\delta$"), offset=(0.85, -0.1))
    arrow((erase[0] + erase[2], 0.6), (b[0], 0.6), "$\\tilde f_k$")
    arrow((a[0] + a[2], a[1] + 0.9), (loss_a[0], loss_a[1] + 0.4))
    arrow((b[0] + b[2], 0.6), (loss_b[0], 0.6))
    arrow(
        (a[0] + a[2], a[1] + 0.15),
        (fused[0] + 0.9, fused[1] + fused[3]),
        "$\\tilde M^A_c$",
        offset=(0.25, 0),
    )
    arrow(
        (b[0] + 0.9, b[1] + b[3]),
        (fused[0] + 0.9, fused[1]),
        "$\\tilde M^B_c$",
        offset=(0.3, -0.1),
    )
    return fig


draw_acol_diagram()
plt.show()

# %% [markdown] en="5dcc5d15b81b"
# ### 3. 손으로 해 보는 ACoL 순전파 한 번
#
# 코드로 옮긴 도식입니다. 테스트 장면 하나와 그 정답 클래스에 대해, 모델
# 자신의 층으로 한 단계씩 계산합니다. 그런 다음 라이브러리의 ACoL 순전파인
# `model.run`이 같은 숫자를 내야 합니다.

# %%
# NBVAL_CHECK_OUTPUT
SCENE = 15
acol = acol_models[0.5]
image, label = test.images[SCENE : SCENE + 1], test.labels[SCENE : SCENE + 1]
c = label.item()

with torch.no_grad():
    f = acol.features(image)  # f_k(x, y): [1, 64, 16, 16]
    maps_a = acol.branch_a(f)  # M^A: [1, 4, 16, 16]
    scores_a = maps_a.mean(dim=(2, 3))  # S^A: GAP
    norm_a = min_max_normalise(maps_a[0, c])  # ~M^A_c: [16, 16] in [0, 1]
    keep = norm_a < acol.delta  # the bracket [~M^A_c < delta]
    f_erased = f * keep  # ~f_k: zero where A's map reaches delta
    maps_b = acol.branch_b(f_erased)  # M^B: [1, 4, 16, 16]
    scores_b = maps_b.mean(dim=(2, 3))  # S^B
    fused = torch.maximum(norm_a, min_max_normalise(maps_b[0, c]))  # the localization map
    out = acol.run(image, label)  # the library's pass, with the label as target

print(f"scene {SCENE}, true class {CLASS_NAMES[c]}, delta = {acol.delta}")
print(f"erased: {int((~keep).sum())} of {keep.numel()} positions")
print("p_A:", [round(p, 3) for p in scores_a.softmax(1)[0].tolist()])
print("p_B:", [round(p, 3) for p in scores_b.softmax(1)[0].tolist()])
print("same as model.run: erased", torch.equal(~keep, out.erased[0]),
      "| S^A", torch.allclose(scores_a, out.logits_a),
      "| S^B", torch.allclose(scores_b, out.logits_b, atol=1e-5),
      "| fused", torch.allclose(fused, out.fused[0], atol=1e-6))

# %% [markdown] en="a2c63a64a524"
# 텐서 연산 몇 개가 방법의 전부입니다. 256개 위치 중 약 10분의 1, 곧 머리와
# 그 주변의 위치를 지우면 B는 A보다 덜 확신하게 되지만, 이 장면에서는 여전히
# 맞습니다. 지워진 위치는 어디이고, B는 그 대신 무엇을 찾았을까요? 그것을
# 탐색기가 보여 줍니다.

# %% [markdown] en="c1ab35e4fe78"
# ### 4. 지우기 임계값 탐색기
#
# `ACoLExplorer`는 백본과 분류기 A를 한 번 실행해 특징을 캐시해 두고, 새
# $\delta$나 클래스마다 지우기와 분류기 B의 재실행(`model.from_features`의 1×1
# 합성곱 하나)만 합니다. 그래서 그림이 슬라이더를 따라 움직입니다. 각 행은
# 장면 하나입니다.
#
# 1. 그 클래스에 대한 A의 정규화된 맵과 A의 확률;
# 2. B가 보는 것: 지워진 칸은 어둡게, 그리고 지워진 비율;
# 3. 지운 특징에서 얻은 B의 맵과 B의 확률 및 로짓;
# 4. 융합된 맵 $\max(\tilde M^A_c, \tilde M^B_c)$.
#
# 라임색 박스는 생물의 정답(ground truth) 박스입니다. 아래 그림은 모델 자신의
# 학습 임계값 $\delta = 0.5$에서, 각 장면의 예측 클래스에 대해 그린 것입니다.
# 장면은 눈으로 고르지 않고 규칙으로 고릅니다. 처음 200개 테스트 장면에서 각
# 장면의 정답 클래스 $y$를 지우고, 그 클래스에 대한 분류기 B의 **로짓
# 마진**(logit margin) $S^B_y - \max_{c \ne y} S^B_c$(B가 맞을 때 정확히
# 양수)로 순위를 매긴 다음, B가 가장 확신하는 장면(지우기가 통했습니다: B가
# 다른 곳에서 클래스를 찾았습니다), 중앙값 장면, 그리고 B가 가장 덜 확신하는
# 장면(실패)을 보여 줍니다. 마진이 같으면 장면 번호가 작은 쪽이 앞섭니다.
# B의 확률이 아니라 마진을 쓰는 이유는 이렇습니다. float32에서는 B가 충분히
# 확신하면 소프트맥스 확률이 정확히 1.0으로 반올림되므로, 확신하는 장면들이
# 동점이 될 수 있고, 그중 어느 것이 먼저 오느냐는 정렬의 우연이 됩니다.
# 마진은 그런 장면들을 구별해 줍니다. 각 장면 옆에는 지워진 칸 아래에 놓인
# 머리 픽셀의 비율과, 각 정규화된 맵(A의 맵, B의 맵, 융합된 맵)의 몸통
# 나머지와 배경에서의 평균을 출력합니다.

# %%
# NBVAL_CHECK_OUTPUT
probe = test[:200]
with torch.no_grad():
    probe_pass = acol.run(probe.images, probe.labels)
erased_pixels = probe_pass.erased.repeat_interleave(4, 1).repeat_interleave(4, 2)  # a cell: 4x4 px
head_pixels = probe.part_masks.flatten(1).sum(1)
head_erased = (erased_pixels & probe.part_masks).flatten(1).sum(1) / head_pixels
logits_b, y = probe_pass.logits_b, probe.labels[:, None]
margin = logits_b.gather(1, y)[:, 0] - logits_b.scatter(1, y, -torch.inf).amax(1)
p_b = logits_b.softmax(1).gather(1, y)[:, 0]
# largest margin first; equal margins: the lower scene number first
order = sorted(range(len(probe)), key=lambda i: (-margin[i].item(), i))
EXPLORER_SCENES = [order[0], order[len(order) // 2], order[-1]]
every = torch.arange(len(probe))
probe_maps = {"A": to_image(probe_pass.maps_a[every, probe.labels]),  # the true class's maps
              "B": to_image(probe_pass.maps_b[every, probe.labels]),
              "fused": to_image(probe_pass.fused)}
print(f"{'':<13}{'scene':>6}{'margin':>8}{'p_B':>6}{'head erased':>13}"
      f"{'rest of body: A / B / fused':>30}{'background: A / B / fused':>28}")
for label_text, i in zip(("surest", "median", "least sure"), EXPLORER_SCENES):
    means = {name: mean_map_by_region(m[i : i + 1], probe.masks[i : i + 1],
                                      probe.part_masks[i : i + 1])
             for name, m in probe_maps.items()}
    rest = " / ".join(f"{means[name]['rest of object']:.2f}" for name in probe_maps)
    background = " / ".join(f"{means[name]['background']:.2f}" for name in probe_maps)
    print(f"{'B ' + label_text:<13}{i:>6}{margin[i]:>+8.2f}{p_b[i]:>6.2f}{head_erased[i]:>13.0%}"
          f"{rest:>30}{background:>28}")
print(f"over the 200 scenes: {(head_erased >= 0.5).double().mean():.0%} have at least half "
      f"of the head erased, {(head_erased == 1).double().mean():.0%} all of it")

# %%
explorer = ACoLExplorer(acol, test[EXPLORER_SCENES])
display(explorer.figure)

# %% [markdown] en="d398c9cc157e"
# 그림이 보여 주는 것을 행마다 살펴봅니다.
#
# - **장면 157, B가 가장 확신(`B surest`, 마진 +6.09, p = 1.00).** 머리 전체가
#   지워진 칸 아래에 있고, 머리에 붙은 몸통도 그렇습니다. B의 맵은 몸통의
#   나머지를 밝히고(평균 0.61, 배경에서는 0.24), 융합된 맵은 라임색 박스를
#   채웁니다(몸통 나머지에서 0.77, A의 맵만으로는 0.46). 논문이 말하는 그대로의
#   메커니즘입니다.
# - **장면 138, 중앙값(`median`, 마진 +0.99, p = 0.70).** 여기서도 머리가
#   지워지지만 B가 찾는 것은 더 적습니다. 지워진 칸 옆의 윗몸통에 있는 점 몇
#   개뿐입니다(몸통 나머지에서 0.30, 배경에서 0.05). 융합된 맵은 몸통의 일부를
#   덮고(0.47, A의 맵만으로는 0.34), 여전히 A의 맵이 있는 머리에서 가장
#   밝습니다.
# - **장면 100, B가 가장 덜 확신(`least sure`, 마진 −5.62, p = 0.00): 실패.**
#   머리와 그에 붙은 몸통이 지워지고, 그 클래스에 대한 B의 점수는 다른
#   클래스의 점수보다 한참 낮습니다. 그런데도 B의 *정규화된* 맵은 여전히 몸통의
#   모양을 하고 있습니다(몸통 나머지에서 0.50, 배경에서 0.29). 최소-최대
#   정규화는 B의 증거가 가장 큰 곳을 보여 줄 뿐, 그 증거가 많다는 것을 보여
#   주지는 않습니다. 융합된 맵은 몸통을 덮고(0.76), 배경도 다른 두 장면에서보다
#   더 많이 덮습니다(0.31).
#
# 이 200개 장면 중 86%에서 머리 전체가 지워지고, 99%에서 머리의 절반 이상이
# 지워집니다. 지우기는 실제로 B의 특징에서 머리를 치워 버립니다. 그다음 B가
# 몸통을 찾느냐는 장면마다 다릅니다.
#
# 이제 슬라이더를 움직여 보십시오. 시도해 볼 질문:
#
# - $\delta$를 0.2까지 내려 보십시오. 얼마나 지워지고, B의 확률은 어떻게
#   되나요? 1.0에서는요?
# - 드롭다운에서 틀린 클래스를 골라 보십시오(예를 들어 빨강 생물에 대해
#   *파랑*). 이제 A의 맵은 어떻게 보이고, B는 무엇을 찾나요?

# %%
explorer.widget()

# %% [markdown] en="858ae22bb9fc"
# ### 5. 각 $\delta$에서 분류기 B가 보는 것
#
# 정적인 노트북에서는 슬라이더가 움직이지 않으므로, 장면 하나에 대한 그
# 숫자들을 여기 적습니다. 여러 임계값에서 256개 위치 중 몇 개가 지워지는지,
# 그리고 정답 클래스에 대한 B의 확률과 점수(로짓)입니다. 모두
# `model.from_features`로 캐시된 특징에서 계산합니다.

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    cached = acol.features(image)  # the backbone runs once ...
    cached_a = acol.branch_a(cached)  # ... and so does classifier A

test_deltas = torch.linspace(0.05, 1.0, 20)
rows = []
for d in test_deltas.tolist():
    with torch.no_grad():
        o = acol.from_features(cached, label, d, cached_a)  # erase at d, rerun B
    rows.append(
        (
            d,
            o.erased.float().mean().item(),
            o.logits_b.softmax(1)[0, c].item(),
            o.logits_b[0, c].item(),
        )
    )

print(f"scene {SCENE} (class {CLASS_NAMES[c]}); acol_05 was trained at delta = 0.5")
print(f"{'delta':>6}{'erased':>9}{'p_B(' + CLASS_NAMES[c] + ')':>12}{'S^B':>8}")
for d, erased, p_b, s_b in rows:
    if round(d, 2) in (0.2, 0.3, 0.5, 0.7, 0.9, 1.0):
        print(f"{d:>6.2f}{erased:>9.1%}{p_b:>12.3f}{s_b:>8.2f}")

# %% [markdown] en="3c6260d2c603"
# 같은 숫자를 격자의 모든 $\delta$에서 그림으로 그립니다. 얼마나 지워지는지,
# 그리고 B가 얼마나 확신을 유지하는지입니다.

# %%
fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.6, 3.0), layout="constrained")
d_values = [r[0] for r in rows]
ax.plot(d_values, [r[1] for r in rows], marker="o", label=tr("fraction of positions erased"))
b_label = tr("B's probability of {name}").format(name=class_label(CLASS_NAMES[c]))
ax.plot(d_values, [r[2] for r in rows], marker="s", label=b_label)
ax.axvline(acol.delta, color="0.5", linestyle=":",
           label=tr("training delta ({delta})").format(delta=acol.delta))
ax.set_xlabel(tr("erase threshold delta at test time"), fontsize=LABEL_SIZE)
ax.set_ylim(0, 1.02)
ax.set_title(tr("scene {index}: less erasing as delta rises, B more sure").format(index=SCENE),
             fontsize=TITLE_SIZE)
ax.tick_params(labelsize=LABEL_SIZE)
ax.grid(alpha=0.3)
ax.legend(fontsize=LABEL_SIZE - 1)
plt.show()

# %% [markdown] en="2915a9ced5f1"
# 임계값이 낮을수록 더 많이 지워지고, 정답 클래스에 대한 B의 확률은
# 떨어집니다. 학습 임계값 근처에서 B는 아직 꽤 확신하지만, 약 0.3 아래에서는
# 머리와 몸통의 상당 부분이 사라져, 네 클래스 중에서 찍는 것(0.25)보다 거의
# 나을 것이 없습니다. 지우기는 하나의 절충입니다. B를 머리에서 밀어낼 만큼은
# 지워야 하지만, B가 배울 것이 남지 않을 만큼 지워서는 안 됩니다. 7절은 이
# 절충을, 서로 다른 $\delta$에서 *학습한* 모델들에 대해 많은 장면에 걸쳐
# 측정합니다.
#
# **특징을 지우는 것은 픽셀을 지우는 것이 아닙니다.** 탐색기는 지워진 칸을
# 이미지 위에 어둡게 표시하지만, ACoL이 지우는 것은 *특징 위치*이고, 16×16
# 위치 각각은 자기 4×4 칸만이 아니라 이미지의 18×18 픽셀 창(수용 영역(receptive
# field))을 봅니다. 지워진 머리 옆에서 살아남은 위치는 여전히 머리의 일부를
# 봅니다. 그것이 B에게 얼마나 도움이 될까요? 처음 200개 테스트 장면에서,
# 특징 위치를 지웠을 때(ACoL이 하는 방식) 정답 클래스에 대한 B의 확률을, 같은
# 이미지에서 같은 픽셀을 회색(평균 색)으로 칠하고 특징에서는 아무것도 지우지
# 않았을 때의 B와 비교합니다. 그리고 살아남은 위치 중 몇 개의 창에 아직 머리
# 픽셀이 들어 있는지 셉니다.

# %%
# NBVAL_CHECK_OUTPUT
grey = probe.images.mean(dim=(0, 2, 3)).view(1, 3, 1, 1)
greyed = torch.where(erased_pixels[:, None], grey, probe.images)
with torch.no_grad():
    logits_b_greyed = acol.branch_b(acol.features(greyed)).mean((-2, -1))


def hit_rate(logits, labels):
    return (logits.argmax(1) == labels).float().mean().item()


def true_class_probability(logits):
    return logits.softmax(1).gather(1, probe.labels[:, None])[:, 0]


for label_text, logits in (("feature cells erased (ACoL)", probe_pass.logits_b),
                           ("same pixels greyed out", logits_b_greyed)):
    print(f"B, {label_text:<28}: mean p(true class) "
          f"{true_class_probability(logits).mean():.2f}, "
          f"right on {hit_rate(logits, probe.labels):.0%}")
# the 18 px window of position j covers pixels 4j - 7 ... 4j + 10 (padding 7, stride 4)
sees_head = torch.nn.functional.max_pool2d(probe.part_masks[:, None].float(), 18, 4, 7)[:, 0] > 0
surviving = ~probe_pass.erased
print(f"surviving positions whose window holds head pixels: "
      f"{(sees_head & surviving).flatten(1).sum(1).double().mean():.1f} per scene "
      f"(of {surviving.flatten(1).sum(1).double().mean():.0f} surviving)")

# %% [markdown] en="2df0d9c10c7e"
# 차이는 실제로 있지만 크지 않습니다. ACoL이 하듯 특징 위치를 지우면 B는 이
# 장면들의 79%에서 맞고, 대신 이미지에서 같은 픽셀을 회색으로 칠하면 70%에서
# 맞으며, 평균 확률은 비슷합니다. 장면마다 살아남은 위치 몇 개(약 230개 중
# 약 3개)의 18픽셀 창에 아직 머리 픽셀이 들어 있고, 이것이 B의 정확도에서 약
# 9포인트의 가치가 있습니다. 그러니 탐색기의 어두운 칸은 B가 빼앗기는 것을
# 과장합니다. ACoL은 머리를 B의 *특징*에서 숨길 뿐 B의 눈에서 숨기지는 않으며,
# 지워진 영역의 가장자리에 있는 위치들은 머리를 계속 봅니다.

# %% [markdown] en="35e4e014a17d"
# ### 6. 여기서 ACoL 학습시키기
#
# 제공되는 모델은 각각 약 24초가 걸렸습니다(장면 6,000개에서 6 에포크).
# 여기서는 훨씬 짧게, 몇 초만 학습합니다. 새 학습 장면 1,500개, 2 에포크,
# $\delta = 0.5$입니다. 약 94번의 스텝 안에 무언가를 배우도록 더 높은
# 학습률(0.003 대신 0.01)과 더 작은 배치(64 대신 32)를 씁니다. 손실은
# `course_utils.train.loss_fn`, 곧 $\mathrm{CE}(S^A, y) + \mathrm{CE}(S^B, y)$입니다.
#
# 모든 것에 시드를 고정했으므로, 같은 기계에서 다시 실행하면 같은 모델이
# 나옵니다. 다른 기계에서는 마지막 자릿수까지 같지 않을 수 있습니다. CPU나
# 스레드 수가 다르면 합성곱의 합이 다르게 나뉘고, 94번의 옵티마이저 스텝이
# 그런 차이를 키웁니다. 그래서 노트북 테스트는 이 짧은 학습의 숫자를 확인하지
# 않습니다.

# %%
short_config = TrainConfig(
    "ACoL", {"delta": 0.5}, n_train=1500, epochs=2, batch_size=32, lr=0.01, seed=0
)
# the training seed: never the test scenes' seed
train_scenes = make_scenes(short_config.n_train, TRAIN_SEED)
short_model = build_model(short_config)
start = time.perf_counter()
history = train(short_model, train_scenes, short_config, progress=False)
print(f"trained in {time.perf_counter() - start:.1f} s; "
      f"mean loss per epoch: {[round(h, 2) for h in history]}")
del train_scenes  # 1,500 scenes' images: their memory is better spent on what follows

# %% [markdown] en="a46808e5bd9c"
# 제공되는 `acol_05`와 비교하면 어떨까요? 1,000개 테스트 장면에서 모델의
# 정확도와 각 분류기 단독의 정확도입니다(매니페스트처럼, 테스트 때 A가 예측한
# 클래스를 지웁니다). 융합된 맵의 위치 추정은 7절에서 다른 모델들과 나란히
# 다룹니다.
#
# 이 셀은 노트북 테스트가 확인하지 않습니다(위 참고). 여러분의 기계에서는
# 마지막 자릿수가 다를 수 있습니다.

# %%
def acol_logits(model, scenes):
    """Classifier A's and B's logits on all scenes, erasing each image's predicted class (what
    ``model(images)`` does at test time); 100 images at a time, keeping only the logits, so that
    one chunk's feature maps are all the memory it needs."""
    logits_a, logits_b = [], []
    with torch.no_grad():
        for chunk in scenes.images.split(100):
            out = model.run(chunk)
            logits_a.append(out.logits_a)
            logits_b.append(out.logits_b)
    return torch.cat(logits_a), torch.cat(logits_b)


short_logits_a, short_logits_b = acol_logits(short_model, test)
# = accuracy(short_model, test)
short_acc = hit_rate(short_logits_a + short_logits_b, test.labels)
short_a, short_b = hit_rate(short_logits_a, test.labels), hit_rate(short_logits_b, test.labels)
print(f"{'':<28}{'test acc.':>10}{'A alone':>9}{'B alone':>9}")
print(f"{'short run (1,500 x 2)':<28}{short_acc:>10.3f}{short_a:>9.3f}{short_b:>9.3f}")
entry = manifest["acol_05"]
print(f"{'acol_05 (6,000 x 6)':<28}{entry['test_accuracy']:>10.3f}"
      f"{entry['branch_a_test_accuracy']:>9.3f}{entry['branch_b_test_accuracy']:>9.3f}")

# %% [markdown] en="25363ca54e4d"
# 몇 초면 분류기 A가 머리를 읽기에 충분하지만, 몸통으로 일해야 하는 B는 아직
# 제공되는 모델에 한참 못 미칩니다. 기억해 둘 만한 점입니다. 어려운 일을 맡은
# 쪽은 B이고, 짧은 학습은 주로 A를 학습시킵니다.

# %% [markdown] en="c9f91d312195"
# ### 7. 홀드아웃 장면에서 $\delta$ 고르기
#
# ACoL에는 자기만의 하이퍼파라미터가 하나 있습니다. 지우기 임계값 $\delta$이고,
# 학습 때 정해집니다. `data/`에는 0.3, 0.4, …, 0.9의 각 $\delta$에 대한 모델이
# 있습니다(0.6이 논문의 값입니다). Choe 외의 규칙은 이렇습니다. 학습 데이터도
# 테스트 데이터도 아닌, 완전한 레이블이 있는 작은 분할(그들의 `train-fullsup`)에서
# $\delta$를 고른 다음, 고른 모델을 테스트에서 단 한 번 평가합니다. 우리의 그
# 분할은 `heldout`입니다. 박스와 마스크가 있는 장면 400개로, 자기만의 시드에서
# 생성했습니다.
#
# 테스트 점수를 하나라도 계산하기 전에 정해 둔 규칙:
#
# 1. 각 $\delta$의 융합된 맵을 홀드아웃 장면에서 평가합니다(MaxBoxAccV2, 그리고
#    따로 PxAP). 어느 분할에서나 그렇듯, 각 지표는 그 분할에서 자기에게 가장
#    좋은 임계값을 씁니다;
# 2. 가장 좋은 $\delta$를 고릅니다(`protocol.select_on_heldout`; 정확히 동점이면
#    CAM에 더 가까운 큰 $\delta$를 남깁니다);
# 3. MaxBoxAccV2로 고른 $\delta$가 CAM의 모델처럼 학습 시드 두 개를 더 받은
#    것입니다(`course_utils.train.COURSE_MODELS`의 `acol_XX_seed1`,
#    `acol_XX_seed2`). 이들은 이 선택이 끝난 뒤에 학습했습니다.
#
# 맵은 노트북 04의 것입니다. **정답 클래스**의 맵(GT-known)을 정규화하고
# 64×64로 쌍선형(bilinear) 업샘플링(upsampling)하며, 박스는 0.00 … 0.99의 100개
# 임계값 각각에서 8-연결 성분(8-connected component) 하나하나로부터 얻습니다.
# `comparison.true_class_maps`가 장면 100개씩 이것을 계산합니다. `gap_cnn`에
# 대해서는 CAM을, ACoL 모델에 대해서는 융합된 맵, 분류기 A 단독의 맵, 그리고
# 분류기 B 단독이 맞았는지를 계산합니다. 그런 다음 `protocol.score_tables`가
# 모델마다 한 번, 각 장면의 최고 박스 IoU와 각 임계값에서의 픽셀 개수를
# 계산합니다. 아래의 모든 점수는 이 표들에 대한 합입니다.
#
# 느린 부분은 표입니다. 모든 장면에 대해 100개 임계값에서 연결 성분을 코어
# 하나로 구해야 합니다. 그래서 `make checkpoints`가 바로 이 코드로 모델 여덟
# 개(`train.HELDOUT_TABLES`)에 대해 한 번 계산해 두었고,
# `data/heldout_score_tables.npz`에 그 표가 들어 있습니다. 각 장면의 임계값별
# 픽셀 개수, 그리고 수준 0.3, 0.5, 0.7로 내림한 최고 IoU이며, MaxBoxAccV2가
# 요구하는 것은 이것이 전부입니다. 여기서도 모든 모델은 영역별 평균 맵과 분류기
# B의 정확도를 위해 홀드아웃 장면에서 여전히 실행됩니다. 그리고 $\delta$를 고르고
# 나면, 고른 모델의 표를 다시 계산해 제공된 표와 대조합니다.

# %%
def tables_of(image_maps, scenes, **kwargs):
    return score_tables(image_maps, scenes.masks, scenes.boxes, **kwargs)


start = time.perf_counter()
shipped_heldout = load_comparison_tables("heldout")  # "acol_04:fused", ..., "gap_cnn:map"
heldout_tables = {d: shipped_heldout[f"{ACOL_NAMES[d]}:fused"] for d in GRID}
cam_heldout = shipped_heldout["gap_cnn:map"]
# one model's maps at a time: the mean map by region, and how often B alone is right
heldout_regions, b_right = {}, {}
for d in GRID:
    maps = true_class_maps(acol_models[d], heldout)
    heldout_regions[d] = mean_map_by_region(maps["fused"], heldout.masks, heldout.part_masks)
    b_right[d] = maps["B right"].double().mean().item()
cam_regions = mean_map_by_region(true_class_maps(cam_model, heldout)["map"], heldout.masks,
                                 heldout.part_masks)
del maps
heldout_seconds = time.perf_counter() - start

# %%
# NBVAL_CHECK_OUTPUT
by_box = {d: max_box_acc_v2_from_tables(t).item() for d, t in heldout_tables.items()}
by_pixel = {d: pxap_from_tables(t).item() for d, t in heldout_tables.items()}
print(f"400 held-out scenes: {'MaxBoxAccV2':>12}{'PxAP':>7}{'rest':>7}{'bg':>7}{'B alone':>9}")
print(f"{'CAM (gap_cnn)':<20}{max_box_acc_v2_from_tables(cam_heldout).item():>12.3f}"
      f"{pxap_from_tables(cam_heldout).item():>7.3f}{cam_regions['rest of object']:>7.3f}"
      f"{cam_regions['background']:>7.3f}")
for d in sorted(GRID):
    r = heldout_regions[d]
    print(f"{f'ACoL delta = {d}':<20}{by_box[d]:>12.3f}{by_pixel[d]:>7.3f}"
          f"{r['rest of object']:>7.3f}{r['background']:>7.3f}"
          f"{b_right[d]:>9.3f}")

chosen_box, chosen_pixel = select_on_heldout(by_box), select_on_heldout(by_pixel)
runner_up = max(v for d, v in by_box.items() if d != chosen_box)
print(f"chosen by MaxBoxAccV2: delta = {chosen_box} ({by_box[chosen_box]:.3f}; "
      f"next best {runner_up:.3f})")
print(f"chosen by PxAP:        delta = {chosen_pixel} ({by_pixel[chosen_pixel]:.3f})")
assert chosen_box == SELECTED_DELTA, "data/'s extra ACoL seeds were trained for this choice"
recomputed_heldout = tables_of(true_class_maps(acol_models[chosen_box], heldout)["fused"], heldout)
print(f"delta = {chosen_box}: its tables computed here agree with the shipped ones "
      f"(protocol.tables_agree): {tables_agree(recomputed_heldout, heldout_tables[chosen_box])}")

# %% [markdown] en="46eef2828dce"
# $\delta$에 대한 곡선으로 그리고, CAM은 파선으로 나타냅니다.

# %%
x = sorted(GRID)
panels = [  # (title, [(line's label, its value at each delta, CAM's value), ...])
    ("MaxBoxAccV2", [(tr("fused map"), lambda d: by_box[d],
                      max_box_acc_v2_from_tables(cam_heldout).item())]),
    ("PxAP", [(tr("fused map"), lambda d: by_pixel[d], pxap_from_tables(cam_heldout).item())]),
    (tr("mean normalised map"), [
        (tr("rest of body"), lambda d: heldout_regions[d]["rest of object"],
         cam_regions["rest of object"]),
        (tr("background"), lambda d: heldout_regions[d]["background"],
         cam_regions["background"])]),
    (tr("classifier B's accuracy"), [
        (tr("B alone"), lambda d: b_right[d], None)]),
]
fig, axes = plt.subplots(1, 4, figsize=(FIG_WIDTH, 3.0), layout="constrained")
for ax, (title, lines) in zip(axes, panels):
    for label_text, get, cam_value in lines:
        (line,) = ax.plot(x, [get(d) for d in x], marker="o", label=label_text)
        if cam_value is not None:
            ax.axhline(cam_value, color=line.get_color(), linestyle="--", linewidth=1)
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.set_xlabel(tr("training delta"), fontsize=LABEL_SIZE)
    ax.set_xticks(x)
    ax.tick_params(labelsize=LABEL_SIZE - 1)
    ax.grid(alpha=0.3)
axes[0].axvline(chosen_box, color="0.4", linestyle=":", linewidth=1)
axes[1].axvline(chosen_pixel, color="0.4", linestyle=":", linewidth=1)
axes[2].legend(fontsize=LABEL_SIZE - 1)
fig.suptitle(tr("ACoL against its training erase threshold on the 400 held-out scenes "
                "(dashed: CAM; dotted: the held-out choice)"), fontsize=TITLE_SIZE)
plt.show()

# %% [markdown] en="5c9ee99f62cd"
# 홀드아웃 장면에서 MaxBoxAccV2는 $\delta = 0.4$에서 가장 높으며 0.5와 0.3을
# 앞섭니다. 그러니 격자가 이 선택을 양쪽에서 감싸고 있습니다. 논문의 0.6은
# 한참 뒤처지고, 0.6에서 0.9까지 곡선은 거의 평평하며 CAM의 수준에 가깝습니다.
# PxAP는 반대쪽 끝인 $\delta = 0.9$를 고르는데, 거기서도 CAM보다 낮습니다.
# 홀드아웃 장면에서는 어떤 $\delta$도 ACoL에게 CAM보다 나은 픽셀을 주지
# 못합니다. 나머지 패널이 그 이유를 말해 줍니다. 0.9에서 0.3으로 내려가면
# 몸통 나머지에서의 맵은 올라가다가 $\delta = 0.5$ 아래에서 약 0.65 근처로
# 평탄해지고, 배경은 계속 올라가며(약 0.10에서 약 0.31로; CAM: 0.08), 남은
# 것이 적어진 분류기 B는 덜 자주 맞힙니다(1.00에서 약 0.67로). 박스는 몸통을
# 가로지르기만 하면 배경을 어느 정도 용서하지만, 픽셀 정밀도-재현율 곡선은
# 그렇지 않습니다.
#
# 그러니 두 측정은 서로 다른 모델을 고르며, 보고서는 어느 측정으로 골랐는지
# 밝혀야 합니다. 추가 시드는 MaxBoxAccV2의 선택인 $\delta = 0.4$에 돌아갑니다
# (ACoL이 설계된 목적이 박스 위치 추정이기 때문입니다). PxAP의 선택도 시드
# 하나로 평가합니다. 테스트 분할은 아직 들여다보지 않았습니다.

# %% [markdown] en="f3a266d3c13e"
# ### 8. 1,000개 테스트 장면에서 CAM 대 ACoL
#
# 이제, 그리고 오직 지금에야, 테스트 분할(test split)입니다. 모든 방법이 같은
# 1,000개 장면, 정답 클래스의 맵, 같은 100개 임계값, 그리고 *이 장면들에서*
# IoU 수준마다 가장 좋은 임계값을 받습니다. 그것이 MaxBoxAccV2의 정의(Choe
# 외의 "오라클 임계값")이지 지름길이 아닙니다. 여기서 고르지 *않는* 것은
# $\delta$입니다. 그것은 7절에서 옵니다.
#
# - **시드.** CAM의 모델과 고른 ACoL을 각각 시드 0, 1, 2에서 학습했습니다(초기
#   가중치와 배치 순서는 다르고, 장면은 같습니다). 세 시드에 대한 평균과 그
#   퍼짐(가장 큰 값 빼기 가장 작은 값)을 보고합니다.
# - **신뢰구간.** 테스트 장면에 대한 95% 부트스트랩 신뢰구간입니다. 1,000개 장면을
#   복원 추출로 1,000번 재표본추출하고(`protocol.resample_weights`, 고정된
#   시드), 매번 표에서 모든 점수를 다시 계산합니다. 두 방법의 차이는 *짝지어*
#   (두 방법에 같은 장면으로) 재표본추출합니다.
# - **제거 실험(ablation).** ACoL의 분류기 A 단독: B의 맵 없이 A의 정규화된
#   맵만 씁니다.
# - **베이스라인.** 아무것도 모르는 맵: 중심에 놓인 가우시안(그 임계값들은 온갖
#   크기의 중심 원판을 그립니다)과 이미지 전체. 그리고 Choe 외의 퓨샷 베이스라인:
#   `few_shot_mask_cnn`, 곧 같은 백본을 객체 마스크를 예측하도록, 400개의
#   홀드아웃 장면만으로, 클래스 레이블 없이 완전 지도 학습한 모델입니다.
#
# 평가할 맵은 1,000개짜리 열세 벌입니다. 홀드아웃 장면에서와 마찬가지로, 그
# 표는 `data/`에서 옵니다(`data/test_score_tables.npz`, 목록은
# `train.TEST_TABLES`). `make checkpoints`가 같은 코드(`course_utils.comparison`)로
# 계산한 것입니다. 이 노트북은 시드 0 모델들을 직접 실행하고(아래 그림에 어차피 그
# 맵이 필요합니다), 그 맵으로 처음 200개 테스트 장면의 점수를 매겨, 이 표가 제공된
# 표의 처음 200행과 일치하는지 확인합니다(표의 행 하나가 장면 하나입니다). 더
# 이상 코드와 맞지 않는 제공 파일이 있다면 여기서 드러날 것입니다.
#
# 먼저 100개 장면에서, 표가 라이브러리의 `box_accuracy_table`과 같은 결과를
# 내는지 확인합니다.

# %%
# NBVAL_CHECK_OUTPUT
THRESHOLDS = default_cam_thresholds()  # the 100 thresholds 0.00 ... 0.99
few = test[:100]
few_maps = true_class_maps(cam_model, few)["map"]
print("same as box_accuracy_table:",
      torch.equal(box_accuracy_from_ious(tables_of(few_maps, few).ious),
                  box_accuracy_table(few_maps, few.boxes)))

# %%
start = time.perf_counter()
CAM_NAMES = ["gap_cnn"] + [f"gap_cnn_seed{s}" for s in EXTRA_SEEDS]
ACOL_SEED_NAMES = [ACOL_NAMES[chosen_box]] + [f"{ACOL_NAMES[chosen_box]}_seed{s}"
                                              for s in EXTRA_SEEDS]
shipped = load_comparison_tables()  # by name, "<model>:<map>"; checked against the manifest
# the seed-0 maps, computed here: CAM's, ACoL's (fused and A alone), the few-shot model's
seed0 = {name: true_class_maps(load_model(name), test)
         for name in (CAM_NAMES[0], ACOL_SEED_NAMES[0], "few_shot_mask_cnn")}
# the tables of the first 200 scenes from them, to check the shipped ones (with the largest
# component's IoUs too: the original MaxBoxAcc, from the same labelling)
checked = test[:200]
checked_maps = {f"{CAM_NAMES[0]}:map": seed0[CAM_NAMES[0]]["map"][:200],
                f"{ACOL_SEED_NAMES[0]}:fused": seed0[ACOL_SEED_NAMES[0]]["fused"][:200]}
recomputed = {name: tables_of(maps, checked, with_largest=True)
              for name, maps in checked_maps.items()}

# %%
# NBVAL_CHECK_OUTPUT
assert chosen_pixel == PXAP_DELTA, "data/'s test tables hold PxAP's held-out choice, this delta"
print(f"first {len(checked)} test scenes, seed 0")
print(f"{'':<14}{'MaxBoxAccV2':>21}{'PxAP':>18}   agree (tables_agree)")
print(f"{'':<14}{'here':>11}{'shipped':>10}{'here':>8}{'shipped':>10}")
for name, here in recomputed.items():
    there = shipped[name][: len(checked)]
    print(f"{name:<14}{max_box_acc_v2_from_tables(here):>11.3f}"
          f"{max_box_acc_v2_from_tables(there):>10.3f}{pxap_from_tables(here):>8.3f}"
          f"{pxap_from_tables(there):>10.3f}   {tables_agree(here, there)}")

# %% [markdown] en="93166223acf3"
# 일치합니다. (모든 기계에서 마지막 픽셀까지 일치하지는 않습니다. 다른 벡터
# 명령어를 가진 CPU는 합성곱을 마지막 비트에서 다르게 반올림하고, 임계값에
# 아주 가까운 맵 값은 반대편으로 넘어갈 수 있습니다. `protocol.tables_agree`는
# 항목의 1,000분의 1까지 다른 것을 허용하며, 맵을 바꾸는 코드 변경은 그보다
# 훨씬 많은 항목을 바꿉니다.) 여기서부터의 모든 점수는 시드 0의 것까지
# 포함해 1,000개 장면 전체의 제공된 표에서 나오므로, 아래 표는 모든 기계에서
# 같습니다.

# %%
methods = {
    "CAM": [shipped[f"{n}:map"] for n in CAM_NAMES],
    "ACoL fused": [shipped[f"{n}:fused"] for n in ACOL_SEED_NAMES],
    "ACoL A alone": [shipped[f"{n}:A alone"] for n in ACOL_SEED_NAMES],
}
if chosen_pixel != chosen_box:  # PxAP's own choice, one seed
    methods[f"ACoL fused, delta {chosen_pixel}"] = [shipped[f"{ACOL_NAMES[chosen_pixel]}:fused"]]
methods["few-shot (400 masks)"] = [shipped["few_shot_mask_cnn:map"]]
methods["centre Gaussian"] = [shipped["baseline:centre Gaussian"]]
methods["whole image"] = [shipped["baseline:whole image"]]
weights = resample_weights(len(test))  # [1000 resamples, 1000 scenes], fixed seed
summary = {name: {metric: bootstrap_scores(tables, metric, weights) for metric in METRICS}
           for name, tables in methods.items()}
test_seconds = time.perf_counter() - start

# %%
# NBVAL_CHECK_OUTPUT
print(f"1,000 test scenes, delta = {chosen_box} chosen on the held-out scenes; "
      "mean over seeds [95% bootstrap interval over scenes] (spread over seeds)")
print(f"{'method':<24}{'seeds':>5}{'MaxBoxAccV2':>28}{'PxAP':>28}")


def cell(s):
    spread = f"({s.spread:.3f})" if len(s.per_seed) > 1 else ""
    return f"{s.mean:>6.3f} [{s.interval[0]:.3f}, {s.interval[1]:.3f}] {spread:<7}"


for name, scores in summary.items():
    n_seeds = len(methods[name])
    print(f"{name:<24}{n_seeds:>5}   {cell(scores['MaxBoxAccV2'])}   {cell(scores['PxAP'])}")
print("paired differences, mean over seeds [95% interval]:")
PAIRS = (("ACoL fused", "CAM"), ("ACoL A alone", "CAM"), ("ACoL fused", "ACoL A alone"))
for first, second in PAIRS:
    parts = []
    for metric in METRICS:
        diff, low, high = difference_interval(summary[first][metric], summary[second][metric])
        parts.append(f"{metric} {diff:+.3f} [{low:+.3f}, {high:+.3f}]")
    print(f"  {first} - {second}: " + "; ".join(parts))

# %% [markdown] en="6d02244b4955"
# 신뢰구간이 말하는 것:
#
# - **박스: ACoL이 이기며, 우연이 아닙니다.** 홀드아웃에서 고른
#   $\delta = 0.4$의 융합된 맵은 MaxBoxAccV2를 약 0.29에서 약 0.39로
#   끌어올립니다. 차이의 짝지은 신뢰구간, 약 +0.09에서 +0.11은 0에서 멀리 떨어져
#   있고, 시드 간 퍼짐보다도 큽니다. 이 향상은 시드마다 성립합니다.
# - **픽셀: ACoL이 지며, 이것도 우연이 아닙니다.** PxAP는 약 0.04
#   떨어집니다(신뢰구간 약 −0.045에서 −0.03). PxAP 자신의 홀드아웃 선택인
#   $\delta = 0.9$조차 CAM보다 낮습니다. 이것은 Choe 외의 OpenImages 열에
#   나타난 양상입니다(PxAP: ACoL 56.3, CAM 60.0).
# - **제거 실험.** 분류기 A 단독(`ACoL A alone`)은 박스에서 CAM과 똑같고(차이
#   약 0, 신뢰구간이 0을 가로지름) 픽셀에서는 더 나쁩니다. 박스 향상은 모두 B의
#   맵을 융합하는 데서 옵니다. A 자신의 맵은 CAM의 맵보다 넓지 않습니다. 공유
#   특징은 B를 돕도록 학습되었지만, A는 여전히 머리를 봅니다.
# - **베이스라인.** 아무것도 모르는 맵은 모든 방법보다 한참 낮습니다(중심 가우시안
#   약 0.04, 이미지 전체 0.00: 생물은 이미지의 약 9분의 1을 채우므로, 이미지
#   전체로는 결코 IoU 0.3에 이르지 못합니다). 400개의 홀드아웃 장면만으로 완전
#   지도 학습한 퓨샷 모델은 두 측정 모두에서 약 0.95를 얻습니다. Choe 외에서처럼
#   (71.9 대 61.2와 59.2) CAM과 ACoL보다 훨씬 높으며, 이렇게 단순한 세계에서는
#   그 차이가 더 클 뿐입니다.
#
# 시드 0 모델들을 자세히 봅니다. IoU 수준별 박스 정확도, 원래의
# MaxBoxAcc(가장 큰 성분, IoU 0.5), 그리고 각 맵이 무게를 어디에 두는지(머리,
# 몸통 나머지, 배경에서의 정규화된 맵 평균)입니다. 표는 제공된 것이고(CAM과
# 융합된 맵의 표는 가장 큰 성분의 IoU도 간직합니다), 맵은 여기서 계산한
# 것입니다.

# %%
# NBVAL_CHECK_OUTPUT
detail = {  # (tables, maps): the tables shipped, the maps computed here
    "CAM (gap_cnn)": (shipped[f"{CAM_NAMES[0]}:map"], seed0[CAM_NAMES[0]]["map"]),
    f"ACoL fused ({ACOL_SEED_NAMES[0]})": (shipped[f"{ACOL_SEED_NAMES[0]}:fused"],
                                          seed0[ACOL_SEED_NAMES[0]]["fused"]),
    "ACoL A alone": (shipped[f"{ACOL_SEED_NAMES[0]}:A alone"],
                     seed0[ACOL_SEED_NAMES[0]]["A alone"]),
    "few-shot": (shipped["few_shot_mask_cnn:map"], seed0["few_shot_mask_cnn"]["map"]),
}
print(f"{'seed 0':<22}{'IoU 0.3':>8}{'IoU 0.5':>8}{'IoU 0.7':>8}{'MaxBoxAcc':>10}"
      f"{'head':>7}{'rest':>7}{'bg':>7}")
for name, (tables, image_maps) in detail.items():
    per_level = box_accuracy_from_ious(tables.ious).amax(dim=1).tolist()
    original = ("" if tables.largest_ious is None else
                f"{(tables.largest_ious >= 0.5).double().mean(-1).max().item():.3f}")
    r = mean_map_by_region(image_maps, test.masks, test.part_masks)
    print(f"{name:<22}" + "".join(f"{v:>8.3f}" for v in per_level) + f"{original:>10}"
          f"{r['part']:>7.3f}{r['rest of object']:>7.3f}{r['background']:>7.3f}")

# %% [markdown] en="f938b3ac7a29"
# ### 9. 박스는 어디에 놓이는가
#
# 박스는 크기 때문에, 또는 위치 때문에 생물을 놓칠 수 있습니다. 각 방법에서
# 장면마다 박스 하나, 곧 원래 MaxBoxAcc의 박스를 취합니다. 이 장면들에서 IoU
# 0.5에 대해 그 방법에 가장 좋은 임계값에서의 가장 큰 성분입니다. 그 박스는
# 얼마나 크고, 그 중심은 생물의 질량 중심과 머리의 질량 중심에서 얼마나 떨어져
# 있을까요? ACoL의 이야기가 옳다면(CAM은 머리에서 멈추고 ACoL은 몸통을
# 찾는다면), ACoL의 박스 중심은 머리에서 생물의 중심 쪽으로 옮겨 가야 합니다.
# 거리의 차이에는 장면에 대한 짝지은 부트스트랩 신뢰구간을 붙입니다.

# %%
# NBVAL_CHECK_OUTPUT
creature_centre, head_centre = mask_centroids(test.masks), mask_centroids(test.part_masks)
gt_size = (test.boxes[:, 2:] - test.boxes[:, :2]).double()
print(f"creature's own box: {gt_size[:, 0].mean():.1f} x {gt_size[:, 1].mean():.1f} px; "
      f"head centre to creature centre: "
      f"{(head_centre - creature_centre).norm(dim=1).mean():.1f} px")
print(f"{'seed 0':<22}{'threshold':>10}{'box w x h (px)':>16}{'to creature':>13}{'to head':>9}")
distance = {}
for name, (tables, image_maps) in list(detail.items())[:2]:
    curve = (tables.largest_ious >= 0.5).double().mean(-1)
    t = THRESHOLDS[curve.argmax()].item()
    boxes = largest_component_boxes(image_maps, t)
    size = (boxes[:, 2:] - boxes[:, :2]).double().mean(0)
    centre = box_centres(boxes)
    distance[name] = (centre - creature_centre).norm(dim=1)
    print(f"{name:<22}{t:>10.2f}{f'{size[0]:.1f} x {size[1]:.1f}':>16}"
          f"{distance[name].mean():>13.1f}{(centre - head_centre).norm(dim=1).mean():>9.1f}")
cam_name, acol_name = list(distance)
mean, low, high = weighted_mean_interval(distance[acol_name] - distance[cam_name], weights)
print(f"ACoL - CAM, distance to the creature's centre: {mean:+.1f} px [{low:+.1f}, {high:+.1f}]")

# %% [markdown] en="afb357b1ee95"
# 측정은 흔한 이야기("CAM의 박스는 머리 크기다")를 다듬어 줍니다. CAM의 가장
# 좋은 단일 박스(가장 좋은 임계값 0.07, 아주 낮은 값에서)는 머리 크기가
# 아닙니다. 오히려 생물보다 *큽니다*(약 32 × 31 px, 생물은 22 × 21). 그 중심은
# 머리의 중심에서 약 6.5 px, 생물의 중심에서 7.2 px 떨어져 있습니다. 둘
# 사이에 있으면서 머리 쪽으로 끌려가 있습니다. ACoL의 박스는 높은 임계값
# (0.72)에서 생물 크기이고(약 23 × 23), 그 중심은 머리에서 더 멀고(9.4 px)
# 생물의 중심에 조금 더 가깝습니다. 평균 0.8 px, 신뢰구간으로는 약 0.4에서 1.1
# px만큼입니다. 그러니 ACoL은 박스를 생물 쪽으로 옮기기는 하지만, 평균적으로
# 1픽셀도 안 됩니다. IoU 0.5에서 얻는 향상의 대부분은 박스의 위치가 아니라
# 크기에서 옵니다.
#
# 같은 것을 그림으로 봅니다. 장면은 규칙으로 고릅니다. 각 방법의 IoU 0.5에
# 대한 가장 좋은 임계값에서(MaxBoxAccV2의 박스, 곧 모든 성분 중 가장 좋은
# 것), ACoL의 박스가 CAM의 박스보다 IoU를 가장 많이 얻는 장면, 중앙값 향상의
# 장면 두 개, 그리고 가장 많이 잃는 장면입니다(동점이면 장면 번호가 가장 작은
# 것).

# %%
best_t = {name: THRESHOLDS[box_accuracy_from_ious(tables.ious, (0.5,))[0].argmax()].item()
          for name, (tables, _) in list(detail.items())[:2]}
# the exact IoUs at that one threshold (the shipped tables keep only the IoU levels)
at_best = {name: box_ious_at_thresholds(detail[name][1], test.boxes, cam_thresholds=[t])[0]
           for name, t in best_t.items()}
gain = at_best[acol_name] - at_best[cam_name]
order = torch.sort(gain, descending=True, stable=True).indices
SHOW = [order[0].item(), order[len(order) // 2 - 1].item(), order[len(order) // 2].item(),
        order[-1].item()]
fig, axes = plt.subplots(2, len(SHOW), figsize=(FIG_WIDTH, 5.1), layout="constrained")
for row, name in zip(axes, best_t):
    m = detail[name][1]
    boxes = localize_at_threshold(m[SHOW], test.boxes[SHOW], best_t[name], multi_contour=True)
    for ax, i, pred, iou in zip(row, SHOW, boxes.boxes, boxes.ious):
        title = tr("{method}, scene {index}: IoU {iou:.2f}")
        overlay_map(test.images[i], m[i], ax, colorbar=False,
                    title=title.format(method=name.split(" ")[0], index=i, iou=iou))
        draw_box(ax, test.boxes[i], GT_COLOUR)
        draw_box(ax, pred[box_iou(pred, test.boxes[i].reshape(1, 4)).argmax()], PRED_COLOUR,
                 linestyle="--")
    row[0].text(-0.08, 0.5, f"t = {best_t[name]:.2f}", transform=row[0].transAxes, rotation=90,
                ha="right", va="center", fontsize=LABEL_SIZE)
add_colorbar(list(axes.flat))
fig.legend(handles=[Line2D([], [], color=GT_COLOUR, lw=2, label=tr("ground truth")),
                    Line2D([], [], color=PRED_COLOUR, lw=2, linestyle="--",
                           label=tr("best box at t"))],
           loc="outside lower center", ncols=2, fontsize=LABEL_SIZE)
plt.show()
print(f"held-out: {heldout_seconds:.1f} s; test: {test_seconds:.1f} s")

# %% [markdown] en="7866ce79cb2a"
# 가장 크게 얻은 장면 387: 낮은 임계값에서 CAM의 최선 박스는 거의 이미지
# 전체인 반면, ACoL의 융합된 맵은 생물을 덮고 그 박스가 잘 맞습니다(IoU 0.71).
# 중앙값(장면 93과 552)에서는 두 방법 모두 빗나갑니다. CAM의 박스는 너무
# 크거나 머리 쪽으로 치우쳐 있고, ACoL의 박스는 생물 크기이지만 역시 치우쳐
# 있습니다(둘 다 IoU 0.31-0.38). 가장 크게 잃은 장면 736: ACoL의 융합된 맵이
# 배경에 퍼져서, 그 임계값에서 가장 좋은 박스는 이미지 가장자리의 가느다란
# 조각입니다(IoU 0.05). 반면 머리와 몸통 대부분을 둘러싼 CAM의 박스는 0.55에
# 이릅니다. 밝은 배경은 PxAP가 측정하는 대가입니다.

# %% [markdown] en="170ece916384"
# ## 토론
#
# **Choe 외가 발견한 것.** CAM과 그 뒤를 이은 다섯 방법을 같은 백본, 홀드아웃
# 데이터에서 고른 하이퍼파라미터, 임계값에 의존하지 않는 측정으로 다시 평가한
# Choe 외(2020)는 CAM을 뚜렷이 이기는 방법을 하나도 찾지 못했습니다. 다섯 중
# ACoL이 가장 나빴습니다. 평균 59.2로 CAM의 61.2보다 낮았고, 백본 × 데이터
# 세트 설정 9개 중 7개에서 CAM보다 낮았으며, 가장 크게 진 것은 픽셀
# 측정이었습니다(OpenImages의 PxAP, 56.3 대 60.0). 홀드아웃 레이블로 학습한
# 퓨샷 모델은 그 모두를 이겼습니다(71.9).
#
# **우리 숫자가 보여 주는 것**, 같은 방식으로 측정했습니다. $\delta$는 400개의
# 홀드아웃 장면에서 고르고, 학습 시드는 세 개이며, 1,000개 테스트 장면에 대한
# 95% 부트스트랩 신뢰구간을 씁니다.
#
# - 박스에서는 ACoL이 CAM을 뚜렷이 이깁니다(MaxBoxAccV2 약 0.39 대 0.29, 차이의
#   신뢰구간이 0보다 한참 위). 우리 세계는 ACoL을 위해 만들어진 셈입니다. 클래스를
#   결정하는 작은 부분 하나와, 더 약한 증거를 지닌 큰 몸통이 있습니다.
# - 픽셀에서는 ACoL이 고른 $\delta$에서도, 다른 모든 $\delta$에서도 뚜렷이
#   집니다. 융합된 맵이 배경까지 밝히기 때문입니다. 이것은 Choe 외의
#   OpenImages 결과와 같은 방향입니다.
# - 박스 향상은 융합된 맵에서 옵니다. 분류기 A 단독은 CAM처럼 박스를
#   그립니다. 그리고 ACoL이 그리는 박스는 주로 *크기*가 더 나은 것이며(더 큰
#   대신 생물 크기), 생물의 중심 쪽으로는 1픽셀도 안 되게 옮겨 갑니다.
# - 홀드아웃 분할은 박스에 대해서는 $\delta = 0.4$를, 픽셀에 대해서는 0.9를
#   골랐습니다. 두 측정은 모델에 대해 의견이 다르므로, 보고서는 어느 측정이
#   모델을 골랐는지 밝혀야 합니다.
# - 완전한 레이블이 달린 400개의 장면을 작은 마스크 예측기에 주면, 두 측정
#   모두에서 두 방법을 큰 차이로 이깁니다. 약지도는 그런 레이블을 정말로 구할
#   수 없을 때에만 그 수고를 할 가치가 있습니다.
#
# ## 요약
#
# - **ACoL** = 공유 백본, 분류기 A(1×1 합성곱, GAP), 지우기 단계, 지운 특징
#   위의 분류기 B; 손실 $\mathrm{CE}(S^A, y) + \mathrm{CE}(S^B, y)$; 위치 추정 맵
#   $\max(\tilde M^A_c, \tilde M^B_c)$.
# - **지우기**: $\tilde f_k = f_k\,[\tilde M^A_c < \delta]$, A의 맵은 최소-최대
#   정규화합니다. $\delta$가 낮을수록 더 많이 지웁니다. 지우는 것은 특징
#   위치이며, 그 18픽셀 창은 여전히 주변을 조금 봅니다.
# - **프로토콜**(Choe 외): 맵 임계값은 점수를 매기는 분할에서 주변화하고, 방법의
#   하이퍼파라미터($\delta$)는 레이블이 있는 홀드아웃 데이터에서 고르며, 점수는
#   시드와 신뢰구간을 갖추고 약지도가 필요 없는 베이스라인 옆에 놓습니다.
# - 1,000개 테스트 장면에서, 홀드아웃 분할이 고른 $\delta = 0.4$와 세 시드로:
#   MaxBoxAccV2 약 0.29 → 0.39(더 좋음), PxAP 약 0.35 → 0.31(더 나쁨); 퓨샷
#   베이스라인은 둘 다 약 0.95.
# - 다음은 노트북 06입니다. ACoL의 두 분류기를 이루는 1×1 합성곱, 그리고 그
#   출력이 왜 클래스 맵인지 다룹니다.

# %% [markdown] en="d8a86922370c"
# ## 연습 문제
#
# 각 연습 문제는 무엇이 맞았는지, 또는 무엇이 기대되었는지 알려 주는 확인으로
# 끝납니다. 셀은 자리표시 답(`None`)으로 시작하므로, 채워 넣기 전까지 확인은
# "아직 아닙니다"라고 말합니다. 풀이는 별도의 노트북
# [solutions/05_acol_solutions.ipynb](solutions/05_acol_solutions.ipynb)에
# 있어서, 연습 문제 아래에 답이 보이지 않습니다. 먼저 직접 풀어 보십시오.
#
# **연습 문제 1: 어느 위치가 지워지는가?** 작은 4×4 격자 위에, 표적 클래스에
# 대한 분류기 A의 원시 맵이 있습니다. $\delta = 0.5$일 때 ACoL은 어느 위치를
# 지울까요? 먼저 종이 위에서 풀어 본 다음(가장 작은 값은 2, 가장 큰 값은 10),
# 지워지는 곳이 True인 4×4 bool 텐서로 쓰십시오.

# %%
print(checks.MAP_A)
erased = None  # a 4x4 bool tensor, True at the erased positions
checks.check_erased_positions(erased, delta=0.5)

# %% [markdown] en="06c4bd71edb1"
# **연습 문제 2: 융합된 맵.** 지우기 후 분류기 B의 원시 맵은
# `checks.MAP_B`입니다(특징이 지워진 곳은 0). `MAP_A`와 `MAP_B`의 융합된 위치
# 추정 맵을 4×4 텐서로 계산하십시오. 행 2, 열 3의 값은 어느 맵에서 오나요?

# %%
print(checks.MAP_B)
fused = None  # a 4x4 tensor: the fused map of MAP_A and MAP_B
checks.check_fused_map(fused)

# %% [markdown] en="7b6051d805bd"
# **연습 문제 3: 더 많이, 아니면 더 적게?** 먼저 예측해 보십시오. $\delta$를
# 0.5에서 0.9로 올리면 ACoL은 특징 격자를 *더 많이*(`"more"`) 지울까요, *더
# 적게*(`"less"`) 지울까요? 그런 다음 측정하십시오. 처음 100개 테스트 장면에서,
# 각 장면을 정답 클래스에 대해 지울 때, `acol_05`가 $\delta = 0.9$에서 지우는
# 16×16 위치의 평균 비율입니다. 힌트: `model.run(images, labels, delta=...)`은
# `.erased`를 돌려줍니다.

# %%
prediction = None  # "more" or "less"
fraction = None  # mean erased fraction at delta = 0.9
checks.check_erased_fraction(prediction, fraction, delta=0.9)

# %% [markdown] en="5cbf63983d8c"
# **연습 문제 4: 감당하기 벅찬 분류기 B.** `acol_09`는 아주 조금만 지워지는
# $\delta = 0.9$에서 학습했고, 그 B는 모든 테스트 장면에서 맞습니다. 다시
# 학습시키지 말고 대신 $\delta = 0.5$에서 시험해 보십시오. 처음 200개 테스트
# 장면에서, A가 예측한 클래스를 지울 때(매니페스트처럼 레이블 없이 `run`을
# 호출하십시오) 그 분류기 B의 정확도는 얼마인가요? 0.5에서 학습한 `acol_05`의
# B보다 좋은가요, 나쁜가요?

# %%
accuracy_b = None  # acol_09's classifier B at delta = 0.5
checks.check_b_at_other_delta(accuracy_b, model_name="acol_09", delta=0.5)
