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

# %% [markdown] en="de8ea304e254"
# # 04 · 약지도: 레이블에서 박스와 마스크로
#
# ## 이 노트북의 목표
#
# 훈련 세트의 모든 물체에 박스를 그리는 일은 각 이미지에 무엇이 있는지
# 말하는 일보다 훨씬 비쌉니다. 이미지 레이블만으로 학습한 분류기(classifier)가
# 물체가 *어디에* 있는지 알려 줄 수 있을까요? 노트북 02와 03에서는 분류기의
# 클래스 맵이 올바른 곳을 본다는 것을 확인했습니다. 이 노트북에서는 그 맵을
# 채점할 수 있는 답, 곧 바운딩 박스(bounding box)와 마스크(mask)로 바꿉니다.
# 먼저 이 과제가 약지도(weak supervision)의 여러 종류 가운데 어디에 속하는지
# 살펴보고, 박스를 얻는 절차를 한 단계씩 만들고, 문헌의 지표로 1,000개의 테스트
# 장면(scene)에서 측정하며, 널리 쓰이는 측정 방식 하나가 왜 오해를 낳는지
# 배웁니다. 측정은 하나의 진단으로 끝납니다: CAM은 생물(creature) 전체가 아니라
# 생물의 머리를 찾습니다. 노트북 05가 고치려는 문제가 바로 이것입니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - 약지도의 세 가지 종류(불완전한(incomplete) 레이블, 거친(inexact) 레이블,
#   부정확한(inaccurate) 레이블)를 말하고, 주어진 상황이 어느 종류인지 알아보며,
#   각 종류가 우리 장면으로 학습한 작은 모델에 어떤 영향을 주었는지 말할 수
#   있습니다;
# - 클래스 맵을 박스로 바꿀 수 있습니다: 정규화하고, 임계값(threshold)을
#   적용하고, 8-연결 요소(8-connected component)를 구하고, 가장 큰 요소에 박스를
#   칩니다. 그리고 마스크로도 바꿀 수 있습니다;
# - 두 박스의 IoU를, 끝 좌표를 포함하지 않는(exclusive) 꼭짓점으로 손으로 계산할
#   수 있습니다;
# - Top-1 Loc, GT-known Loc, MaxBoxAcc, MaxBoxAccV2, PxAP를 계산하고 설명하며,
#   고정된 임계값이 왜 방법 사이의 비교를 불공정하게 만드는지 말할 수
#   있습니다(Choe 외, 2020);
# - CAM의 박스가 물체 전체가 아니라 물체의 판별적인 부분을 덮는다는 것을 수치로
#   보일 수 있습니다.
#
# ### 차례
#
# **이론**
# 1. 약지도의 세 가지 종류
# 2. 클래스 맵에서 박스로, 그리고 마스크로
# 3. 위치 추정의 측정
# 4. 임계값 문제
#
# **실습**
# 1. 불완전한 레이블: 레이블이 있는 장면 100개
# 2. 부정확한 레이블: 일부 레이블이 틀렸다
# 3. 거친 레이블: 클래스 맵에서 박스로, 한 단계씩
# 4. 임계값 슬라이더
# 5. 같은 맵에서 얻는 마스크
# 6. 1,000개의 테스트 장면에서 측정하기
# 7. 고정된 임계값은 왜 오해를 낳는가
# 8. 진단: CAM은 머리를 찾는다
# 9. 물체 하나에서 여럿으로: 약지도 객체 탐지
# 10. 증거(evidence)로서의 제거
#
# **토론과 요약**
#
# **연습 문제**(exercise, 자체 확인 포함); 풀이(solution)는 별도의 노트북에 있습니다.
#
# ### 참고 문헌
#
# - Zhou, Z.-H. (2018). *A brief introduction to weakly supervised
#   learning.* National Science Review 5(1), 44–53. (세 가지 종류)
# - Zhou, Khosla, Lapedriza, Oliva, Torralba (2016). *Learning Deep Features
#   for Discriminative Localization.* CVPR. (CAM, 그리고 고정된 임계값으로
#   얻는 CAM의 박스. 이 코스의 용어로는 $t = 0.2$)
# - Choe, Oh, Lee, Chun, Akata, Shim (2020). *Evaluating Weakly Supervised
#   Object Localization Methods Right.* CVPR. (MaxBoxAcc, MaxBoxAccV2, PxAP)
# - Russakovsky et al. (2015). *ImageNet Large Scale Visual Recognition
#   Challenge.* IJCV. (Top-1 Loc의 바탕이 되는 위치 추정 과제)
# - Zhang, Wei, Feng, Yang, Huang (2018). *Adversarial Complementary Learning
#   for Weakly Supervised Object Localization.* CVPR. (ACoL, 노트북 05)

# %% [markdown] en="2b878d8e696d"
# ## 이론
#
# ### 1. 약지도의 세 가지 종류
#
# *지도* 학습에서는 모든 훈련 예제 $x_i$에 모델이 출력하기를 바라는 레이블
# $y_i$가 함께 주어집니다. Zhou(2018)는 실제 레이블이 이에 못 미치는 방식을 세
# 가지로 나눕니다:
#
# - **불완전한 지도(incomplete supervision)**: 예제 가운데 몇 개에만 레이블이
#   있습니다. 훈련 세트는
#   $D = \{(x_1, y_1), \dots, (x_l, y_l), x_{l+1}, \dots, x_m\}$이고
#   $l \ll m$입니다. 레이블은 비싸고 이미지는 쌉니다. 준지도 학습과 능동
#   학습이 이 문제를 다룹니다.
# - **거친 지도(inexact supervision)**: 모든 예제에 레이블이 있지만, 원하는
#   출력보다 거친 레이블입니다. 우리에게는 각 이미지의 클래스가 있고, 원하는
#   것은 그 안에 있는 물체의 박스나 마스크입니다. 다중 인스턴스 학습과
#   *약지도 객체 위치 추정*(weakly supervised object localization, WSOL)이 이
#   문제를 다룹니다.
# - **부정확한 지도(inaccurate supervision)**: 모든 예제에 올바른 종류의
#   레이블이 있지만, 일부 레이블이 틀렸습니다: 어떤 $i$에서는 $\tilde y_i \neq y_i$입니다.
#   비율 $\rho$의 *대칭* 레이블 잡음에서는 레이블이 확률 $1 - \rho$로 그대로
#   남고, 그렇지 않으면 나머지 $C - 1$개 클래스 가운데 하나로 무작위로 바뀝니다.
#
# 실제 데이터 세트에는 흔히 세 가지가 모두 섞여 있습니다. 실습 부분에서는 각
# 종류마다 우리 장면으로 작은 실험을 하나씩 합니다. 코스의 나머지는 두 번째
# 종류를 다룹니다: 우리 모델은 장면마다 클래스 하나로 학습했고, 우리가 원하는
# 것은 박스입니다.
#
# ### 2. 클래스 맵에서 박스로, 그리고 마스크로
#
# 클래스 맵 $M_c(x, y)$(CAM, Grad-CAM, 또는 노트북 05의 ACoL 맵)는 각 위치가
# 클래스 $c$를 얼마나 강하게 지지하는지 말해 줍니다. 대부분의 WSOL 방법이 지금도
# 쓰는 CAM 논문의 절차는 이 맵을 박스로 바꿉니다:
#
# 1. **정규화**: 임계값이 모든 이미지에서 같은 뜻을 갖도록 각 맵을 $[0, 1]$로
#    정규화합니다:
#    $$\tilde M(x, y) = \frac{M(x, y) - \min M}{\max M - \min M},$$
#    그리고 이미지 크기로 업샘플링(upsampling)합니다(`course_utils.cam.to_image`는
#    정규화한 다음 쌍선형으로 업샘플링합니다. 그 순서는 노트북 02에서 설명합니다).
# 2. **임계값 적용**: $t$에서 임계값을 적용해 마스크 $B_t = \{(x, y) : \tilde M(x, y) \ge t\}$를 얻습니다.
#    원래 맵으로 말하면 $M \ge \min M + t\,(\max M - \min M)$인 곳을 남기는
#    것입니다: **$t$는 맵의 범위에 대한 비율**이며, 이 코스는 어디서나 이 정의
#    하나만 씁니다. (CAM 논문은 20%를 맵의 최댓값에 대한 비율로 표현합니다.
#    맵의 최솟값이 0이면 두 정의는 같습니다.)
# 3. **분할**: 마스크를 **8-연결 요소**로 나눕니다. 꼭짓점으로만 닿더라도 서로
#    닿아 있는 픽셀은 같은 조각에 속합니다.
# 4. **박스**: 각 요소를 둘러싸는 가장 작은 박스를 구하고, 가장 큰 요소의
#    박스를 예측 $\hat b(t)$로 남깁니다.
#
# 마스크 $B_t$ 자체도 하나의 예측입니다. 물체의 대략적인 *분할*(segmentation)이며,
# 실제 마스크와 픽셀 단위로 비교해 채점합니다.
#
# ### 3. 위치 추정의 측정
#
# **박스와 IoU.** 박스는 픽셀 인덱스로 $b = (x_0, y_0, x_1, y_1)$이며, $x_1$과
# $y_1$은 Python 슬라이스처럼 **포함하지 않습니다**(exclusive). 즉 박스는
# `mask[y0:y1, x0:x1]`을 덮고, 넓이는 $|b| = (x_1 - x_0)(y_1 - y_0)$픽셀입니다.
# 두 박스는 너비
# $w_\cap = \max\big(0, \min(x_1, x_1') - \max(x_0, x_0')\big)$와 같은
# 방식으로 정의한 높이 $h_\cap$만큼 겹치고, 두 박스의 **IoU**(intersection
# over union)는
# $$\mathrm{IoU}(b, b') = \frac{w_\cap h_\cap}{|b| + |b'| - w_\cap h_\cap}$$
# 입니다. 박스와 실제 박스 $b_i$의 IoU가 기준 $\theta$(고전적으로
# $\theta = 0.5$)에 이르면 그 박스를 *적중*(hit)으로 셉니다. (IoU 기준은
# $\theta$로 씁니다. $\delta$는 노트북 05에서 ACoL의 지우기 임계값(erase
# threshold)입니다.)
#
# **관례에 대한 경고.** 이 코스의 박스는 끝 좌표를 포함하지 않고, 넓이는
# $(x_1 - x_0)(y_1 - y_0)$입니다. Choe 외의 공개 코드 wsolevaluation도 박스의 끝
# 좌표를 포함하지 않는 것으로 받지만, 넓이와 겹침은 끝을 포함하는 공식
# $(x_1 - x_0 + 1)(y_1 - y_0 + 1)$로 잽니다. 그러면 모든 박스가 실제보다 한 픽셀씩
# 더 넓고 높게 채점됩니다. 우리처럼 작은 맵에서는 이 때문에 IoU가 올라갑니다.
# 얼마나 올라가는지는 6절에서 측정합니다. 수치는 같은 관례로 계산한 것끼리만
# 비교하십시오.
#
# **지표.** 실습 부분에서는 각 지표를 처음 계산하는 곳에서 정의합니다: 마스크
# IoU는 5절에서, GT-known Loc과 Top-1 Loc, 그리고 MaxBoxAcc, MaxBoxAccV2, PxAP는
# 6절에서 정의합니다. 모두 박스나 마스크로 바꾼 맵이 실제와 얼마나 잘 맞는지
# 채점합니다.
#
# ### 4. 임계값 문제
#
# 임계값 $t$가 박스의 크기를 정하는데, 이미지 레이블에는 그것을 고를 수 있는
# 정보가 전혀 없습니다. 어떤 $t$가 좋은 박스를 주는지 알려면 박스가 필요합니다.
# CAM 논문은 $t = 0.2$로 고정했고, 이후의 논문들은 저마다 임계값을, 흔히 밝히지
# 않은 채, 결과를 보고하는 바로 그 이미지에서 조정했습니다. Choe 외(2020)는
# 맵마다 최선의 임계값이 크게 다르다는 것, 그래서 **고정된 임계값은 마침 그
# 임계값에 맞는 맵을 내는 방법에 유리하다**는 것, 그리고 모든 방법에 각자의
# 최선의 임계값을 주면 어떤 방법의 향상이 흔히 사라진다는 것을 보였습니다.
# 그들의 처방은 두 부분으로 되어 있습니다. 맵의 임계값은 채점하는 분할 위에서
# *주변화*(marginalise)합니다: MaxBoxAcc, MaxBoxAccV2, PxAP는 테스트 세트 자체에서
# 최선의 임계값을 취하므로(설계상의 "오라클 임계값"), 어떤 방법도 자신에게 맞지
# 않는 임계값으로 평가받지 않습니다. 방법 *자체의* 하이퍼파라미터(ACoL의 지우기
# 임계값, 학습률 등)는 완전 지도 레이블이 있는 작은 홀드아웃 분할(held-out
# split)(`train-fullsup`)에서 고르며, 테스트 세트에서는 절대 고르지 않습니다.

# %% [markdown] en="191e7c389d76"
# ## 실습
#
# 제공된 `gap_cnn`(전역 평균 풀링(global average pooling, GAP)과 편향 없는
# 선형 층. 레이블이 있는 장면 6,000개로 학습)과 고정된 테스트 장면 1,000개를
# 불러옵니다. 각 장면은 자신의 클래스, 생물의 마스크와 박스, 그리고 생물의
# 머리, 곧 그 색이 클래스를 드러내는 작은 부분의 마스크를 알고 있습니다.

# %%
from course_utils.language import set_language

set_language("ko")

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_utils.cam import class_activation_map, to_image
from course_utils.checkpoints import load_manifest, load_model, load_split
from course_checks import weak_supervision as checks
from course_utils.language import tr, tr_noop
from course_utils.localization import (
    best_mask_iou,
    box_accuracy_from_ious,
    box_accuracy_table,
    box_area,
    box_iou,
    box_ious_at_thresholds,
    box_ious_both_ways,
    box_of_mask,
    component_boxes,
    connected_components,
    default_cam_thresholds,
    gt_known_loc,
    largest_box,
    mask_iou,
    mask_iou_curve,
    mask_to_boxes,
    mean_map_by_region,
    pxap,
    threshold_map,
    top1_loc,
)
from course_utils.maps import min_max_normalise
from course_utils.plots import (
    FIG_WIDTH,
    GT_COLOUR,
    PRED_COLOUR,
    add_colorbar,
    class_label,
    draw_box,
    overlay_map,
    plot_box_accuracy_curve,
    show_image,
)
from course_utils.scenes import CLASS_NAMES, Scenes, make_pair_scenes, make_scenes
from course_utils.train import TrainConfig, accuracy, build_model, predict, train
from course_utils.widgets import ThresholdExplorer

test = load_split("test")  # 1,000 frozen test scenes
model = load_model("gap_cnn")


@torch.no_grad()
def predict_with_cams(net, scenes, batch_size=100):
    """One pass of a GapCNN over `scenes`: predicted classes [N], true classes' CAMs [N, 16, 16].

    CAM is M_c(x, y) = sum_k w_k^c f_k(x, y) (notebook 02). With GAP and a bias-free linear head,
    the class scores are the maps' means, so the same pass gives the predictions too. Section 3
    checks both.
    """
    predicted, cams = [], []
    for images, labels in zip(scenes.images.split(batch_size), scenes.labels.split(batch_size)):
        # [n, 4, 16, 16]
        class_maps = torch.einsum("ck,nkhw->nchw", net.fc.weight, net.features(images))
        predicted.append(class_maps.mean(dim=(2, 3)).argmax(1))
        cams.append(class_maps[torch.arange(len(labels)), labels])
    return torch.cat(predicted), torch.cat(cams)


shipped = load_manifest()["models"]["gap_cnn"]
config = shipped["config"]
# epochs x batches per epoch
steps = config["epochs"] * -(-config["n_train"] // config["batch_size"])
print(f"gap_cnn: trained on {config['n_train']:,} labelled scenes, "
      f"{config['epochs']} epochs = {steps} steps of {config['batch_size']} scenes; "
      f"test accuracy {shipped['test_accuracy']:.3f}")

# %% [markdown] en="1ff5c238b3c9"
# ### 1. 불완전한 레이블: 레이블이 있는 장면 100개
#
# 장면 100개에만 레이블을 달았다고 해 봅시다. 그 대가는 얼마일까요? 공정하게
# 비교하려면 두 모델에 같은 학습 예산을 주어, 레이블의 수만 다르게 해야 합니다.
# 새 훈련 장면 1,000개의 풀(시드(seed) 40, 다른 데에는 쓰지 않음)을 뽑고, 새
# `GapCNN` 두 개를 똑같이 장면 10개씩 100스텝 동안 학습시킵니다. 그러면 둘 다 모두
# 1,000개의 장면을 봅니다:
#
# - 하나는 **레이블이 있는 장면 100개**로, 각 장면을 10번씩 봅니다(10 에포크);
# - 다른 하나는 **장면 1,000개 모두에 레이블**이 있고, 각 장면을 한 번씩
#   봅니다(1 에포크).
#
# 100스텝은 제공된 모델의 학습(장면 64개씩 약 560스텝)에 비하면 아주 작은
# 일부이므로, 어느 쪽도 그 정확도에 가까이 가지 못합니다. 여기서 쓸 수 있는
# 시간은 몇 초뿐입니다. 학습은 CPU 스레드 하나로 합니다. 이렇게 작은 배치에서는
# 스레드 두 개만큼 빠르고, 그러면 이 기계에서 실행 결과가 정확히 재현됩니다.
# 작은 모델들은 각각 첫 500개의 테스트 장면(`quick_test`: 차이를 보기에 충분하고,
# 시간은 절반)에서 도우미 함수 `predict_with_cams`로 채점합니다. 이 함수는 6절에서
# 다시 쓸 클래스 맵도 돌려줍니다.

# %%
pool = make_scenes(1000, seed=40)  # new training scenes; the test split has its own seed
quick_test = test[:500]


def train_small(scenes, epochs, seed=0):
    """A fresh GapCNN trained on `scenes` for `epochs` epochs of batches of 10, with the course's
    recipe."""
    config = TrainConfig(
        "GapCNN", n_train=len(scenes), epochs=epochs, batch_size=10, lr=5e-3, seed=seed
    )
    small = build_model(config)  # seeded by config.seed
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(small, scenes, config, progress=False)
    finally:
        torch.set_num_threads(threads)
    return small


few_labels = train_small(pool[:100], epochs=10)
all_labels = train_small(pool, epochs=1)
# few_cams: used again in section 6
few_predicted, few_cams = predict_with_cams(few_labels, quick_test)
all_predicted, _ = predict_with_cams(all_labels, quick_test)
shipped_predicted, _ = predict_with_cams(model, quick_test)

print(f"{'model (all scored on the same 500 test scenes)':<48}{'labels':>7}{'accuracy':>10}")
for name, predicted_test, n_labels in [
    ("100 labels, 10 epochs (100 steps of 10)", few_predicted, 100),
    ("1,000 labels, 1 epoch (100 steps of 10)", all_predicted, 1000),
    (f"for scale: shipped gap_cnn ({steps} steps of 64)", shipped_predicted, config["n_train"]),
]:
    test_accuracy = (predicted_test == quick_test.labels).float().mean()
    print(f"{name:<48}{n_labels:>7,}{test_accuracy:>10.2f}")
print("the 100-label model on its own 100 training scenes: "
      f"accuracy {accuracy(few_labels, pool[:100]):.2f}")

# %% [markdown] en="1ee8279ab99b"
# 스텝 수가 같을 때, 레이블이 열 배 많으면 분명히 더 나은 분류기를 얻습니다.
# 레이블 100개로 학습한 모델은 테스트 장면보다 자신이 학습한 장면에서 훨씬 잘
# 합니다: 클래스를 배우는 대신 몇 안 되는 예제를 외우기 시작한 것입니다.
# (마지막 행의 제공된 모델은 규모를 가늠하기 위해서만 넣었습니다. 이 모델은
# 다른 풀의 장면 6,000개로 훨씬 많은 스텝 동안 학습했습니다. 그리고 두 작은
# 실행은 짧고 시드가 하나씩뿐이므로, 효과의 크기가 아니라 방향을 보여 줍니다.)
#
# 지금까지 레이블이 없는 장면 900개는 그냥 버렸습니다. 레이블이 단지 적은 것이
# 아니라 "불완전한" 것은 바로 이 때문입니다. 준지도 학습은 이 장면들을
# 활용합니다. 가장 간단한 방법은 **의사 레이블**(pseudo-label)을 한 번 붙이는
# 것입니다: 레이블 100개로 학습한 모델이 장면 900개에 레이블을 붙이게 한 다음,
# 진짜 레이블 100개와 의사 레이블 900개로 새 모델을, 레이블 1,000개 모델과 같은
# 예산으로 학습시킵니다.

# %%
# the model's guesses for the 900 scenes, 250 at a time (all 900 at once would need 450 MB more)
pseudo = predict(few_labels, pool.images[100:])
pseudo_pool = Scenes(pool.images, torch.cat([pool.labels[:100], pseudo]), pool.masks, pool.boxes,
                     pool.part_masks)
pseudo_labels = train_small(pseudo_pool, epochs=1)
pseudo_predicted, _ = predict_with_cams(pseudo_labels, quick_test)
print(f"pseudo-labels right on the 900 unlabelled scenes: "
      f"{(pseudo == pool.labels[100:]).float().mean():.2f}")
print(f"{'model':<44}{'test accuracy':>14}")
for name, predicted_test in [("100 labels, 10 epochs", few_predicted),
                             ("100 labels + 900 pseudo-labels, 1 epoch", pseudo_predicted),
                             ("1,000 true labels, 1 epoch", all_predicted)]:
    print(f"{name:<44}{(predicted_test == quick_test.labels).float().mean():>14.2f}")


# %% [markdown] en="0cbd2817e742"
# 여기서는 그 한 번의 시도가 교과서의 이야기와 *반대로* 갑니다. 레이블 100개
# 모델은 장면 900개 가운데 절반 정도(0.49)에만 레이블을 맞게 붙이므로, 그 의사
# 레이블은 2절의 40% 잡음보다 더 잡음이 많고, 이것으로 학습한 모델의 점수는
# 0.32로, 그 레이블을 만든 레이블 100개 모델(0.48)보다도 낮습니다. 의사 레이블은
# 첫 모델이 충분히 좋을 때만 효과가 있습니다. 그래서 실용적인 방법들은 확신하는
# 추측만 남기거나 추측에 가중치를 주고, 모델이 나아지는 대로 이 과정을
# 되풀이합니다.
#
# ### 2. 부정확한 레이블: 일부 레이블이 틀렸다
#
# 이제 장면 1,000개 모두에 레이블이 있지만, 그 가운데 40%가 틀렸습니다. 대칭
# 잡음으로, 골라진 레이블은 각각 나머지 세 클래스 가운데 하나로 무작위로
# 바뀝니다. 위의 깨끗한 레이블 1,000개 모델과 정확히 같은 방법과 예산으로
# 학습시킵니다.

# %%
def flip_labels(scenes, fraction, seed=0):
    """A copy of `scenes` in which a random `fraction` of the labels is changed to one of the other
    classes."""
    gen = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(scenes), generator=gen)[: round(fraction * len(scenes))]
    labels = scenes.labels.clone()
    labels[chosen] = (
        labels[chosen] + torch.randint(1, len(CLASS_NAMES), (len(chosen),), generator=gen)
    ) % len(CLASS_NAMES)
    return Scenes(scenes.images, labels, scenes.masks, scenes.boxes, scenes.part_masks)


noisy_pool = flip_labels(pool, 0.4)
noisy_labels = train_small(noisy_pool, epochs=1)
noisy_predicted, _ = predict_with_cams(noisy_labels, quick_test)
wrong = noisy_pool.labels != pool.labels
print(f"labels wrong in the noisy pool: {wrong.float().mean():.2f}")
print(f"{'model':<30}{'test accuracy':>15}")
for name, predicted_test in [
    ("1,000 correct labels", all_predicted),
    ("1,000 labels, 40% wrong", noisy_predicted),
]:
    print(f"{name:<30}{(predicted_test == quick_test.labels).float().mean():>15.2f}")
with torch.no_grad():
    on_wrong = noisy_labels(pool.images[wrong]).argmax(1)
print(f"on its {int(wrong.sum())} wrongly labelled training scenes the noisy model predicts "
      f"the wrong label for {(on_wrong == noisy_pool.labels[wrong]).float().mean():.2f}, "
      f"the true class for {(on_wrong == pool.labels[wrong]).float().mean():.2f}")

# %% [markdown] en="f4b6d6f03453"
# 레이블의 60%는 여전히 맞고 틀린 레이블은 다른 클래스들에 고르게 퍼져
# 있는데도(그래서 어떤 종류의 장면에서든 진짜 클래스가 여전히 가장 흔한
# 레이블인데도), 틀린 레이블은 정확도를 떨어뜨립니다. 이 짧은 실행에서 모델은
# 틀린 레이블을 외우지 *않았습니다*: 레이블이 틀린 훈련 장면 400개에서, 주어진
# 틀린 레이블을 예측하는 경우는 0.22이고 진짜 클래스를 예측하는 경우는
# 0.37입니다. 오래 학습하면 외울 만큼 큰 네트워크는 틀린 레이블도 배우게 됩니다.
# 부정확한 지도를 다루는 방법들이 의심스러운 레이블을 찾아내거나 그 가중치를
# 낮추려 하는 까닭이 이것입니다.
#
# ### 3. 거친 레이블: 클래스 맵에서 박스로, 한 단계씩
#
# 노트북의 나머지는 두 번째 종류, 곧 이 코스의 바탕인 거친 레이블을 다룹니다.
# `gap_cnn`은 장면마다 클래스 하나가 있고 박스는 없는 장면 6,000개를 보았습니다.
# 진짜 클래스에 대한 이 모델의 CAM으로 테스트 장면 1,000개 모두의 맵을 얻습니다.
# 준비 셀의 도우미 함수 `predict_with_cams`는 노트북 02의 식
# $M_c(x, y) = \sum_k w_k^c f_k(x, y)$를 백본(backbone)을 한 번 통과하면서 모든
# 클래스에 대해 계산하고, 헤드(head)가 GAP 다음의 편향 없는 선형 층이므로 맵의
# 평균을 클래스 점수(class score)로 씁니다. 이것을 `class_activation_map`과,
# 그리고 첫 100개 장면에서 모델 자신의 예측과 대조합니다.

# %%
predicted, cams = predict_with_cams(model, test)  # [1000] and [1000, 16, 16]
maps = to_image(cams)  # normalised, then upsampled bilinearly: [1000, 64, 64]
with torch.no_grad():
    same_cam = torch.allclose(
        cams[:100], class_activation_map(model, test.images[:100], test.labels[:100]), atol=1e-4
    )
    same_predictions = torch.equal(predicted[:100], model(test.images[:100]).argmax(1))

# %%
# NBVAL_CHECK_OUTPUT
print(f"same maps as class_activation_map: {same_cam}; "
      f"same predictions as the model: {same_predictions}")
print("classification accuracy of gap_cnn on the test split: "
      f"{(predicted == test.labels).float().mean():.3f}")
print(f"maps: {tuple(maps.shape)}, values from {maps.min():.2f} to {maps.max():.2f}")

# %% [markdown] en="d5d39e32f5ed"
# 장면 하나를 이론 부분의 절차에 따라, CAM 논문의 임계값 $t = 0.2$에서 따라가
# 봅니다: 맵, 마스크 $B_{0.2}$, 그 8-연결 요소, 그리고 실제 박스와 비교한 가장
# 큰 요소의 박스입니다.

# %%
SCENE = 32
T_CAM = 0.2  # the CAM paper's threshold value (a fraction of the range, theory section 2)

mask = threshold_map(maps[SCENE], T_CAM)  # B_t: [64, 64] bool
components, count = connected_components(mask)  # 0 on the background, 1..count on the pieces
all_boxes = mask_to_boxes(mask)  # one box per component, [count, 4]
predicted_box = largest_box(mask)
true_box = test.boxes[SCENE]

def show_mask(ax, mask):
    """Dim the pixels outside `mask` and outline it in white: the creature's own colours stay
    visible inside the mask (a coloured fill would hide a head of the same colour)."""
    outside = np.zeros((*mask.shape, 4))
    outside[..., 3] = 0.6 * (~mask).numpy()  # black, 60% opaque, outside the mask only
    ax.imshow(outside, interpolation="nearest")
    ax.contour(mask.numpy(), levels=[0.5], colors="white", linewidths=1)


fig, axes = plt.subplots(1, 4, figsize=(FIG_WIDTH, 2.9), layout="constrained")
cam_title = tr("1. CAM of class {name}").format(name=class_label(CLASS_NAMES[test.labels[SCENE]]))
overlay_map(test.images[SCENE], cams[SCENE], axes[0], title=cam_title, colorbar=False)
show_image(test.images[SCENE], axes[1], title=tr("2. mask, t = {t}").format(t=T_CAM))
show_mask(axes[1], mask)
axes[2].imshow(
    np.ma.masked_equal(components.numpy(), 0),
    cmap="tab10",
    vmin=1,
    vmax=10,
    interpolation="nearest",
)
axes[2].set_facecolor("black")
axes[2].set(xticks=[], yticks=[])
axes[2].set_title(tr("3. {count} components").format(count=count), fontsize=10)
for box in all_boxes:
    draw_box(axes[2], box, "white", linewidth=1)
show_image(test.images[SCENE], axes[3], title=tr("4. largest component's box"))
draw_box(axes[3], true_box, GT_COLOUR, label=tr("true box"))
draw_box(axes[3], predicted_box, PRED_COLOUR, linestyle="--",
         label=tr("predicted box (largest component)"))
fig.legend(*axes[3].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=9)
add_colorbar(axes[0])
plt.show()

# %% [markdown] en="7ef08227a683"
# 마스크는 세 조각으로 나뉩니다: 머리와 몸통 앞부분을 둘러싼 큰 덩어리 하나,
# 그리고 잡동사니가 임계값을 넘은 작은 점 두 개입니다. 가장 큰 요소를 취하면
# 작은 점들은 버려집니다. 이 박스는 좋은 박스일까요? 식의 끝 좌표를 포함하지
# 않는 꼭짓점으로 IoU를 손으로 계산하고, `box_iou`로도 계산합니다.

# %%
# NBVAL_CHECK_OUTPUT
x0, y0, x1, y1 = predicted_box.tolist()
gx0, gy0, gx1, gy1 = true_box.tolist()
width = max(0, min(x1, gx1) - max(x0, gx0))
height = max(0, min(y1, gy1) - max(y0, gy0))
intersection = width * height
union = (x1 - x0) * (y1 - y0) + (gx1 - gx0) * (gy1 - gy0) - intersection
print(f"components' boxes: {all_boxes.tolist()}")
print(f"predicted box {predicted_box.tolist()}, true box {true_box.tolist()}")
print(f"by hand: intersection {width} x {height} = {intersection} pixels, union {union}, "
      f"IoU {intersection / union:.3f}")
print(f"box_iou: {box_iou(predicted_box, true_box).item():.3f}")

# %% [markdown] en="3a5a0062bb65"
# IoU는 0.42입니다. 고전적인 기준 0.5에서는 빗나감이고, 0.3에서는 적중입니다.
# 박스는 생물의 머리 쪽 끝에 놓여 머리 주변의 배경으로 넘쳐 나가고, 생물의 반대쪽
# 끝은 박스 밖에 있습니다.
#
# ### 4. 임계값 슬라이더
#
# 박스는 $t$에 따라 어떻게 달라질까요? 아래의 탐색기는 테스트 장면 네 개의 캐시된
# 맵에 슬라이더 값의 임계값을 적용하고, 각 마스크를 위 그림처럼(윤곽선은 흰색,
# 바깥 픽셀은 어둡게 해서 모든 머리가 제 색을 유지하도록) 그리며, 가장 큰 요소의
# 박스(점선)와 실제 박스(실선), 그리고 둘의 IoU를 보여 줍니다. 정적인 그림은
# 기본값 $t = 0.2$를 보여 줍니다.

# %%
SHOWN = [6, 4, 0, 2]  # one scene of each class
explorer = ThresholdExplorer(test[SHOWN], maps[SHOWN], threshold=T_CAM)
explorer.figure

# %% [markdown] en="4f339de47d5c"
# 슬라이더를 움직여 보십시오(실행 중인 커널이 필요합니다). 임계값이 낮으면
# 마스크가 배경으로 자라 결국 박스가 이미지 전체가 되고, 높으면 마스크가 머리
# 위로 줄어듭니다. 점선 박스가 실선 박스에 가장 잘 맞는 임계값을 찾아보십시오:
# 네 장면에서 그 값이 같습니까? 배경 *없이* 생물을 덮는 박스를 주는 임계값이
# 있습니까?

# %%
explorer.widget()

# %% [markdown] en="eec7c853025b"
# ### 5. 같은 맵에서 얻는 마스크
#
# 마스크 $B_t$는 그 자체로 하나의 분할입니다. 이 마스크는 생물의 실제 마스크
# $G$와 얼마나 잘 맞고, 어느 임계값에서 가장 잘 맞을까요? 한 이미지의 **마스크
# IoU** $|B_t \cap G| / |B_t \cup G|$는, IoU가 박스를 평가하듯, 한 임계값에서의
# 분할을 평가합니다. `mask_iou_curve`는 100개의 임계값 각각에서 테스트 장면
# 1,000개에 대한 평균 마스크 IoU를 주고, `best_mask_iou`는 그 최댓값을 줍니다.

# %%
# NBVAL_CHECK_OUTPUT
thresholds = default_cam_thresholds()  # 0.00, 0.01, ..., 0.99
mask_curve = mask_iou_curve(maps, test.masks)
best_iou, best_t = best_mask_iou(maps, test.masks)
at_cam_t = mask_iou(threshold_map(maps, T_CAM), test.masks)  # one IoU per scene
print(f"mean mask IoU at t = {T_CAM}: {at_cam_t.mean():.3f} (curve: {mask_curve[20]:.3f})")
print(f"best mean mask IoU: {best_iou:.3f} at t = {best_t:.2f}")

# %% [markdown] en="fc52d318f7e2"
# 가장 좋은 단일 임계값은 낮고, 그 임계값에서도 마스크와 생물의 겹침은 둘의
# 합집합의 3분의 1이 안 됩니다. 그림은 이 곡선과, 슬라이더의 네 장면에서 가장
# 좋은 임계값으로 얻은 마스크를 각 생물의 실제 윤곽선과 함께 보여 줍니다.

# %%
best_masks = threshold_map(maps[SHOWN], best_t)
fig, panels = plt.subplot_mosaic("ABC;ADE", figsize=(FIG_WIDTH, 4.6), layout="constrained",
                                  width_ratios=[2.2, 1, 1])
curve_ax, scene_axes = panels["A"], [panels[key] for key in "BCDE"]
curve_ax.plot(thresholds, mask_curve, linewidth=2)
curve_ax.plot([best_t], [best_iou], "o", markersize=8, color="C0")
curve_ax.axvline(T_CAM, color="grey", linestyle=":", label=f"t = {T_CAM}")
curve_ax.set(xlabel=tr("CAM threshold t"), ylabel=tr("mean mask IoU"), xlim=(0, 1), ylim=(0, 0.5))
curve_ax.set_title(tr("best: {iou:.2f} at t = {t:.2f}").format(iou=best_iou, t=best_t),
                   fontsize=10)
curve_ax.legend(fontsize=9)
curve_ax.grid(alpha=0.3)
for ax, index, predicted_mask in zip(scene_axes, SHOWN, best_masks):
    show_image(
        test.images[index],
        ax,
        title=tr("IoU {iou:.2f}").format(
            iou=mask_iou(predicted_mask[None], test.masks[index][None]).item()
        ),
    )
    show_mask(ax, predicted_mask)
    ax.contour(test.masks[index].numpy(), levels=[0.5], colors=GT_COLOUR, linewidths=1.5)
suptitle = tr("left: mean mask IoU against threshold; right: masks at t = {t:.2f} "
              "(undimmed, white outline), true outlines (lime)")
fig.suptitle(suptitle.format(t=best_t), fontsize=10)
plt.show()

# %% [markdown] en="4878b0d6d9e3"
# 가장 좋은 임계값에서 마스크는 머리를 중심으로 한 덩어리입니다. 몸통의 많은
# 부분을 담지만, 머리 주변의 배경도 그만큼 담습니다. 임계값을 높이면 배경이
# 잘려 나가지만 몸통도 함께 잘립니다. 이 맞바꿈은 8절에서 측정합니다.
#
# ### 6. 1,000개의 테스트 장면에서 측정하기
#
# **Top-1 Loc과 GT-known Loc.** ImageNet의 위치 추정 과제는 클래스와 박스를
# 함께 요구합니다. **Top-1 Loc**은 둘 다 맞은 이미지를 셉니다:
# $$\text{Top-1 Loc} = \frac{1}{N} \sum_i [\hat y_i = y_i]\,[\mathrm{IoU}(\hat b_i, b_i) \ge \theta].$$
# 이 지표는 *무엇*과 *어디*라는 두 질문을 섞습니다. **GT-known Loc**은 클래스를
# 안다고 보고(진짜 클래스의 맵으로 박스를 만듭니다) 어디인지만 묻습니다:
# $$\text{GT-known Loc} = \frac{1}{N} \sum_i [\mathrm{IoU}(\hat b_i, b_i) \ge \theta].$$
# (ImageNet처럼 이미지마다 실제 박스가 여러 개이면 $\mathrm{IoU}(\hat
# b_i, b_i)$는 그 이미지의 박스들에 대한 가장 좋은 IoU가 됩니다. `gt_known_loc`과
# 다른 박스 지표들은 이미지마다 박스 목록을 받으면 그렇게 계산하며, 9절에서 이
# 기능을 씁니다.)
#
# 먼저 고전적인 프로토콜입니다: 고정된 임계값 $t = 0.2$에서 가장 큰 요소로
# 박스를 얻고, 그 IoU와, $\theta = 0.5$에서의 GT-known Loc과 Top-1 Loc으로
# 채점합니다(박스가 적중에서 얼마나 먼지 보려고 0.3에서도 채점합니다).

# %%
# NBVAL_CHECK_OUTPUT
boxes_at_cam_t = torch.stack([largest_box(m) for m in threshold_map(maps, T_CAM)])  # [1000, 4]
ious_at_cam_t = box_iou(boxes_at_cam_t, test.boxes)
print(f"t = {T_CAM}, largest component:")
print(f"  mean IoU with the true box   {ious_at_cam_t.mean():.3f}")
for theta in (0.5, 0.3):
    print(f"  IoU >= {theta}: GT-known Loc {gt_known_loc(boxes_at_cam_t, test.boxes, theta):.3f}, "
          f"Top-1 Loc {top1_loc(predicted, test.labels, boxes_at_cam_t, test.boxes, theta):.3f}")

# %% [markdown] en="356f3b4699f8"
# IoU 0.5에 이르는 박스는 3%뿐이고, 0.3에는 약 3분의 2가 이릅니다. 여기서
# Top-1 Loc이 GT-known Loc과 같은 것은 `gap_cnn`이 모든 테스트 장면을 올바르게
# 분류하기 때문이고, 올바르게 분류된 장면에서는 예측된 클래스의 맵이 *곧* 진짜
# 클래스의 맵이기 때문입니다. 두 지표가 다른 경우를 보려면 1절에서 레이블
# 100개로 학습한 모델을 쓰십시오(`quick_test`의 장면 500개에 대한 이 모델의
# 예측과 맵은 이미 계산해 두었습니다). 잘못 분류된 장면에서도 박스는 맞을 수
# 있지만, Top-1 Loc은 그 장면을 세지 않습니다. (이 수치는 그 짧은 학습 실행에
# 따라 달라지므로 확인하지 않습니다.)

# %%
few_boxes = torch.stack([largest_box(m) for m in threshold_map(to_image(few_cams), T_CAM)])
print("100-label model, 500 test scenes: "
      f"accuracy {(few_predicted == quick_test.labels).float().mean():.2f}, "
      f"GT-known Loc (IoU 0.3) {gt_known_loc(few_boxes, quick_test.boxes, 0.3):.2f}, "
      "Top-1 Loc (IoU 0.3) "
      f"{top1_loc(few_predicted, quick_test.labels, few_boxes, quick_test.boxes, 0.3):.2f}")

# %% [markdown] en="1b14b91a0df9"
# Top-1 Loc은 결코 정확도를 넘을 수 없습니다. 얼마나 낮아질 수 있는지는 연습
# 문제 3에서 묻습니다. 우리의 관심은 *어디*이므로, 이제부터는 GT-known Loc을
# 씁니다.
#
# 이제 임계값이 필요 없는 지표들입니다. **MaxBoxAcc과 MaxBoxAccV2.** 임계값
# $t$, IoU 기준 $\theta$에서의 GT-known Loc을 $\mathrm{BoxAcc}(t, \theta)$로
# 씁니다. Choe 외(2020)는 $t = 0.00, 0.01, \dots, 0.99$ 가운데 (이미지마다가
# 아니라) 데이터 세트 전체에 대해 한 번 고른 최선의 임계값을 취합니다:
# $$\mathrm{MaxBoxAcc} = \max_t \mathrm{BoxAcc}(t, 0.5), \qquad
# \mathrm{MaxBoxAccV2} = \frac{1}{3} \sum_{\theta \in \{0.3, 0.5, 0.7\}} \max_t \mathrm{BoxAcc}(t, \theta).$$
# 버전 2는 세 IoU 기준에 대해, 각 기준마다 그 자신의 최선의 임계값으로 평균을
# 냅니다. 그래서 빽빽한 박스(0.7)뿐 아니라 대략 맞는 박스(0.3)에도 점수를 주며,
# 가장 큰 요소만이 아니라 모든 요소 가운데 *가장 좋은* 박스를 채점합니다.
# **PxAP**는 픽셀을 채점합니다: 임계값 $t$에서 픽셀 정밀도 $P(t)$는 마스크
# $B_t$에 든 픽셀 가운데 물체 위에 있는 픽셀의 비율이고, 재현율 $R(t)$는 물체
# 픽셀 가운데 $B_t$에 든 비율이며(모든 이미지의 픽셀을 한데 모읍니다), PxAP는
# $t$가 $t_0 < \dots < t_{T-1}$을 지날 때 그리는 정밀도-재현율 곡선 아래의
# 넓이입니다:
# $$\mathrm{PxAP} = \sum_k P(t_k)\,\big(R(t_k) - R(t_{k+1})\big), \qquad R(t_T) = 0.$$
# 세 지표 모두 임계값을 고를 필요가 없습니다. 연습 문제 5에서는 세 개의 아주
# 작은 맵으로 세 지표를 모두 손으로 계산합니다.
#
# `box_ious_at_thresholds`는 100개의 임계값 각각과 각 장면에 대해, 예측 박스와
# 실제 박스의 IoU를 줍니다. MaxBoxAcc에서는 가장 큰 요소의 박스, MaxBoxAccV2에서는
# 모든 요소 가운데 가장 좋은 박스입니다. 100개의 임계값에서 연결 요소를 구하는
# 것이 느린 부분이라(맵 1,000개에 약 1초), `box_ious_both_ways`는 레이블링을 한
# 번만 하고 두 표를 모두 주며, 모든 박스 정확도를 이 표들에서 얻습니다. 20번
# 행(t = 0.20)은 방금 장면별로 계산한 IoU를 그대로 재현해야 합니다.

# %%
LEVELS = (0.3, 0.5, 0.7)


def box_accuracy(ious, levels=LEVELS):
    """BoxAcc(t, theta) [levels, T] from the IoUs [T, N]: the fraction of scenes with IoU >= theta
    at each t."""
    return box_accuracy_from_ious(ious, levels)


# [100, 1000] each: every component's boxes, and the largest component's only
# (one labelling for both)
ious_any, ious_largest = box_ious_both_ways(maps, test.boxes)
acc_largest = box_accuracy(ious_largest)  # [3, 100]
acc_cam = box_accuracy(ious_any)  # [3, 100]: the table behind MaxBoxAccV2

# %%
# NBVAL_CHECK_OUTPUT
print("row t = 0.20 equals the scene-by-scene IoUs: "
      f"{torch.allclose(ious_largest[20], ious_at_cam_t)}")
same = torch.allclose(
    box_accuracy(ious_any[:, :100]), box_accuracy_table(maps[:100], test.boxes[:100])
)
print(f"same as box_accuracy_table (first 100 scenes): {same}")
best_05 = int(acc_largest[1].argmax())
print(f"MaxBoxAcc   (IoU 0.5, largest component): {acc_largest[1, best_05]:.3f} "
      f"at t = {thresholds[best_05]:.2f}")
for level, row in zip(LEVELS, acc_cam):
    print(f"  IoU {level}, all components: "
          f"best {row.max():.3f} at t = {thresholds[row.argmax()]:.2f}, "
          f"at t = {T_CAM}: {row[20]:.3f}")
print(f"MaxBoxAccV2 (mean of the three bests):    {acc_cam.amax(1).mean():.3f}")
print(f"PxAP:                                     {pxap(maps, test.masks):.3f}")
print(f"(creature pixels: {test.masks.float().mean():.3f} of all pixels, "
      "the PxAP of a map that knows nothing)")

# %% [markdown] en="80168099df96"
# 가장 좋은 임계값에서도 IoU 0.5에 이르는 CAM의 박스는 9%뿐이고, 0.7에
# 이르는 박스는 거의 없습니다. IoU 0.3에는 80%가 이릅니다. 가장 큰 요소 대신
# 모든 요소를 보아도 여기서는 거의 달라지지 않습니다: 가장 좋은 임계값 근처에서
# 맵이 서로 겨루는 조각들로 나뉘는 일이 드물기 때문입니다. PxAP도 0.35로
# 낮습니다: 맵이 가장 높게 매긴 픽셀들이 대부분 생물의 픽셀인 것은 아닙니다
# (생물은 이미지의 7%를 덮으므로, 무작위 맵의 점수는 약 0.07입니다).
#
# **이론 3절의 관례, 측정해 보기.** 같은 맵, 같은 임계값, 같은 박스를 이번에는
# wsolevaluation의 IoU로 다시 채점합니다. 이 IoU는 (각 박스와 두 박스의 겹침의)
# 너비와 높이에 모두 한 픽셀씩 더합니다:
# `box_ious_at_thresholds(..., convention="wsolevaluation")`. 두 박스
# $(0, 0, 2, 2)$와 $(1, 1, 3, 3)$에서는 이 때문에 IoU $1/7$이 $4/14$가 됩니다.

# %%
# NBVAL_CHECK_OUTPUT
# [3, 100]: every component's box, as for MaxBoxAccV2, with the IoU of wsolevaluation's code
acc_wsol = box_accuracy(box_ious_at_thresholds(maps, test.boxes, convention="wsolevaluation"))
print(f"{'IoU counted':<36}{'best box accuracy at IoU 0.3 / 0.5 / 0.7':>42}{'MaxBoxAccV2':>13}")
for name, table in (("the course's way (exclusive corners)", acc_cam),
                    ("wsolevaluation's way (+1 pixel)", acc_wsol)):
    bests = " / ".join(f"{v:.3f}" for v in table.amax(1).tolist())
    print(f"{name:<36}{bests:>42}{table.amax(1).mean():>13.3f}")
print(f"difference in MaxBoxAccV2: {acc_wsol.amax(1).mean() - acc_cam.amax(1).mean():+.3f}")

# %% [markdown] en="4c91b29aaa22"
# 맵은 전혀 바뀌지 않았는데, MaxBoxAccV2는 0.296에서 0.324로(+0.029) 오르고,
# IoU 0.3에서의 가장 좋은 박스 정확도는 0.795에서 0.859로 오릅니다. 64×64
# 픽셀 이미지에서는 모든 너비와 높이에 한 픽셀이 더해지는 것이 큰 차이를
# 만듭니다. (wsolevaluation 자체의 평가기는 여기서 재현하지 않은 두 가지 점에서
# 더 다릅니다: 박스의 끝을 이미지의 마지막 픽셀에서 자르고, 마스크 안의 구멍도
# 박스로 칩니다.) 그러므로 한 방식으로 계산한 MaxBoxAccV2를 다른 방식으로 계산한
# 것과 나란히 놓고 순위를 매길 수는 없습니다. 이 코스는 어디서나 끝 좌표를
# 포함하지 않는 꼭짓점, 곧 박스가 실제로 덮는 픽셀을 씁니다.
#
# ### 7. 고정된 임계값은 왜 오해를 낳는가
#
# 위의 각 지표는 저마다 최선의 임계값을 골랐고, 그 값들은 서로 다릅니다: IoU
# 0.3에서 0.10, 0.5에서 0.08, 0.7에서 0.04입니다. 어느 것도 CAM 논문의 0.2가
# 아닙니다. $t$에 대한 박스 정확도 곡선을 보면 이 선택이 얼마나 중요한지 알 수
# 있습니다. Choe 외의 요점을 보려면 맵의 모양이 다른 두 번째 방법도 필요합니다:
# 노트북 05의 주제인 ACoL입니다. 지우기 임계값 0.5로 학습해 제공된 ACoL 모델을,
# CAM처럼 이미지마다 맵 하나(그 "fused" 맵, $[0, 1]$로 정규화)를 주는 블랙박스로
# 보고, 그 맵들을 정확히 같은 프로토콜로 채점합니다.

# %%
acol = load_model("acol_05")
with torch.no_grad():
    acol_maps = to_image(
        torch.cat([acol.run(x, y).fused
                   for x, y in zip(test.images.split(100), test.labels.split(100))])
    )
# [3, 100]
acc_acol = box_accuracy(box_ious_at_thresholds(acol_maps, test.boxes, multi_contour=True))

# %%
fig, (left, right) = plt.subplots(
    1, 2, figsize=(FIG_WIDTH, 3.8), layout="constrained", sharey=True
)
plot_box_accuracy_curve(thresholds, acc_cam, left, labels=[f"IoU {level}" for level in LEVELS])
left.set_title(tr("CAM (gap_cnn): one curve per IoU level"), fontsize=10)
plot_box_accuracy_curve(
    thresholds, torch.stack([acc_cam[0], acc_acol[0]]), right,
    labels=["CAM", tr("ACoL (delta {delta})").format(delta=acol.delta)],
)
right.set_title(tr("CAM and ACoL at IoU {level}").format(level=LEVELS[0]), fontsize=10)
for ax in (left, right):
    ax.axvline(T_CAM, color="grey", linestyle=":")
    ax.text(T_CAM + 0.01, 0.97, f"t = {T_CAM}", color="grey", fontsize=9, va="top")
plt.show()

# %% [markdown] en="71eb9a631cdc"
# 모든 곡선은 올라갔다가 내려옵니다: $t$가 낮으면 박스가 이미지 전체이고,
# 높으면 최고점(peak) 주변의 작은 조각입니다. 곡선의 최고점은 서로 다른 곳에 있습니다:
# CAM은 0.1 근처로 낮고, ACoL은 0.6 근처로 높습니다. ACoL의 맵은 생물 *그리고*
# 배경 위에 더 고르게 퍼져 있으므로, 배경을 잘라 내려면 더 높은 임계값이
# 필요합니다. CAM 논문의 고정된 $t = 0.2$에서는 비교 결과가 한쪽으로 나오고,
# 각 방법에 저마다의 최선의 임계값을 주면 반대쪽으로 나옵니다.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'':<18}{'at t = 0.2 (IoU 0.3 / 0.5 / 0.7)':>34}{'best t per level':>20}"
      f"{'MaxBoxAccV2':>13}{'PxAP':>7}")
for name, table, method_maps in [
    ("CAM", acc_cam, maps),
    ("ACoL (delta 0.5)", acc_acol, acol_maps),
]:
    fixed = " / ".join(f"{v:.3f}" for v in table[:, 20].tolist())
    best_ts = " / ".join(f"{thresholds[k]:.2f}" for k in table.argmax(1).tolist())
    print(f"{name:<18}{fixed:>34}{best_ts:>20}{table.amax(1).mean():>13.3f}"
          f"{pxap(method_maps, test.masks):>7.3f}")

# %% [markdown] en="730ca7ab64b9"
# $t = 0.2$에서는 IoU 0.3과 0.5에서 CAM이 ACoL을 이기고(IoU 0.3에서 0.642 대
# 0.355), 0.7에서는 둘 다 0.000입니다. 각 방법에 저마다의 최선의 임계값을 주면
# 모든 기준에서 ACoL이 CAM을 이기고, MaxBoxAccV2는 0.296에서 0.383으로
# 올라갑니다. 어느 고정된 수치도 "진실"이 아닙니다: 고정된 임계값은 어떤 방법의
# 맵이 그 임계값에 얼마나 잘 맞는지를 잴 뿐입니다. Choe 외가 방법들을 각자의
# 최선의 임계값에서 비교하는 까닭이 이것입니다.
#
# MaxBoxAccV2는 일부러 *테스트 세트에서* 최선의 임계값을 취합니다: Choe 외는
# 임계값을 비교에서 주변화해 없앱니다(이론 4절). 그러나 CAM을 실제로 배포하는
# 사람은 테스트 세트의 박스 없이 임계값 하나를 정해야 합니다. 다음은 Choe 외의
# 프로토콜이 아니라 이 코스 자체의 확인입니다: 박스가 있는 작은 홀드아웃 세트에서
# 임계값을 고른 다음, 그 임계값을 테스트 세트에 적용합니다. 그 홀드아웃 세트로
# 새 장면 100개(시드 41)를 뽑습니다.

# %%
# NBVAL_CHECK_OUTPUT
held_out = make_scenes(100, seed=41)
with torch.no_grad():
    held_cam = to_image(class_activation_map(model, held_out.images, held_out.labels))
    held_acol = to_image(acol.run(held_out.images, held_out.labels).fused)
print(
    f"{'':<20}{'t chosen on 100 held-out scenes':>33}{'test accuracy there':>22}{'test best':>11}"
)
for name, held_maps, table in [
    ("CAM", held_cam, acc_cam),
    ("ACoL (delta 0.5)", held_acol, acc_acol),
]:
    # one t per IoU level
    chosen = box_accuracy(box_ious_at_thresholds(held_maps, held_out.boxes)).argmax(1)
    at_chosen = table[torch.arange(len(LEVELS)), chosen]
    print(f"{name:<20}{' / '.join(f'{thresholds[k]:.2f}' for k in chosen.tolist()):>33}"
          f"{at_chosen.mean():>22.3f}{table.amax(1).mean():>11.3f}")

# %% [markdown] en="bd33ea16ac7f"
# 홀드아웃 장면 100개에서만 고른 임계값으로도, 테스트 점수는 테스트 세트 자체의
# 최선("test best" 열, MaxBoxAccV2)과 0.03 이내로 차이 나고, 두 방법의 순위도
# 그대로입니다. 그러니 오라클 임계값은 배포에 대해 조금만 낙관적일 뿐입니다:
# 박스 몇 개만 있으면 그에 가까이 갈 수 있습니다.
#
# ### 8. 진단: CAM은 머리를 찾는다
#
# IoU 0.5에서 CAM의 박스는 왜 이렇게 나쁠까요? 그림들이 이미 답을 암시했습니다:
# 맵은 머리에서 밝고 몸통을 따라가며 흐려집니다. 우리 장면은 머리가 어디 있는지
# 알고 있으므로(`test.part_masks`) 이것을 측정할 수 있습니다. 먼저 세 영역, 곧
# 머리, 생물 몸통의 나머지, 배경에서 정규화한 맵의 평균을 구합니다.

# %%
# NBVAL_CHECK_OUTPUT
regions = mean_map_by_region(maps, test.masks, test.part_masks)
head_pixels = test.part_masks.sum((1, 2)).double().mean()
creature_pixels = test.masks.sum((1, 2)).double().mean()
print(
    "mean normalised CAM on "
    + ", ".join(f"{name}: {value:.2f}" for name, value in regions.items())
)
print(f"a head covers {head_pixels:.0f} pixels on average, a whole creature {creature_pixels:.0f} "
      f"({head_pixels / creature_pixels:.0%} of it is head)")


# %% [markdown] en="e769aa89194c"
# 생물의 10분의 1인 머리는 평균 0.86점이고, 몸통의 나머지는 0.35점으로 머리보다
# 배경의 0.08에 더 가깝습니다. 그러므로 몸통의 대부분을 남기는 임계값은 어느
# 것이든 배경도 많이 남깁니다. 다음 그림은 모든 임계값에 걸쳐 이 맞바꿈을
# 따라갑니다: 각 $t$에서 마스크 $B_t$가 남기는 머리 픽셀, 몸통 나머지 픽셀, 배경
# 픽셀의 비율입니다.

# %%
def kept_fraction(values, thresholds):
    """For each threshold t, the fraction of `values` that are >= t (sorted once, then one binary
    search per t)."""
    ordered = values.flatten().sort().values
    return 1 - torch.searchsorted(ordered, thresholds.to(ordered.dtype)).double() / len(ordered)


normalised = min_max_normalise(maps)  # exactly what threshold_map compares with t
body = test.masks & ~test.part_masks
kept = {  # the names are printed in English and translated in the figure's legend
    tr_noop("head"): kept_fraction(normalised[test.part_masks], thresholds),
    tr_noop("rest of body"): kept_fraction(normalised[body], thresholds),
    tr_noop("background"): kept_fraction(normalised[~test.masks], thresholds),
}
best_box_t = thresholds[acc_cam[1].argmax()].item()  # the best threshold at IoU 0.5

# %%
# NBVAL_CHECK_OUTPUT
for t in (best_box_t, T_CAM, 0.5, 0.7):
    k = int(round(t * 100))
    print(
        f"t = {t:.2f} keeps " + ", ".join(f"{name} {curve[k]:.2f}" for name, curve in kept.items())
    )
best_mask = threshold_map(maps, best_t)
creature_kept = (best_mask & test.masks).sum() / test.masks.sum()
mask_on_creature = (best_mask & test.masks).sum() / best_mask.sum()
print(f"best mask threshold t = {best_t:.2f}: "
      f"covers {creature_kept:.2f} of the creatures' pixels, "
      f"and {mask_on_creature:.2f} of its pixels are creature")

# %%
fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4), layout="constrained")
for name, curve in kept.items():
    ax.plot(thresholds, curve, linewidth=2, label=tr(name))
best_label = tr("best t at IoU 0.5 ({t:.2f})").format(t=best_box_t)
ax.axvline(best_box_t, color="grey", linestyle="--", label=best_label)
ax.axvline(T_CAM, color="grey", linestyle=":", label=f"t = {T_CAM}")
ax.set(
    xlabel=tr("CAM threshold t"),
    ylabel=tr("fraction of pixels kept in the mask"),
    xlim=(0, 1),
    ylim=(0, 1.02),
)
ax.set_title(tr("Which pixels does the mask keep? "
                "The head up to high thresholds, the body only at low ones"),
             fontsize=10)
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=5, fontsize=9)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown] en="3cc0b9aa834a"
# 머리는 $t = 0.5$까지 온전히 남고, 0.7에서도 거의 온전히 남습니다. 몸통의
# 나머지는 $t$가 오르면서 꾸준히 사라집니다: $t = 0.2$에 이르면 절반이
# 사라집니다. 그리고 몸통의 대부분이 남는 낮은 임계값에서는 배경이 함께
# 들어옵니다: 가장 좋은 마스크 임계값에서 마스크는 생물 픽셀의 71%를 덮지만,
# 마스크의 70%는 배경입니다. 배경 없이 몸통을 남기는 임계값은 없습니다.
#
# 이제 박스입니다. CAM의 박스가 머리에 관한 것이라면, 생물의 박스보다 *머리의*
# 박스와 더 잘 맞아야 합니다. $t = 0.2$에서의 박스를 두 박스와 비교합니다: IoU,
# 박스 중심 사이의 거리, 그리고 각 실제 박스의 얼마만큼이 예측 박스 안에
# 들어 있는지입니다.

# %%
# NBVAL_CHECK_OUTPUT
head_boxes = box_of_mask(test.part_masks)  # [1000, 4], the tight box around each head


def centre(boxes):
    boxes = boxes.double()
    return torch.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], dim=1)


def share_inside(pred, truth):
    """The fraction of each true box's area that lies inside the predicted box."""
    overlap_w = (
        torch.minimum(pred[:, 2], truth[:, 2]) - torch.maximum(pred[:, 0], truth[:, 0])
    ).clamp_min(0)
    overlap_h = (
        torch.minimum(pred[:, 3], truth[:, 3]) - torch.maximum(pred[:, 1], truth[:, 1])
    ).clamp_min(0)
    return (overlap_w * overlap_h).double() / box_area(truth)


print(f"CAM's boxes at t = {T_CAM} against      {'the head':>10}{'the creature':>14}")
print(f"  mean IoU                           {box_iou(boxes_at_cam_t, head_boxes).mean():>10.3f}"
      f"{ious_at_cam_t.mean():>14.3f}")
to_head = (centre(boxes_at_cam_t) - centre(head_boxes)).norm(dim=1)
to_creature = (centre(boxes_at_cam_t) - centre(test.boxes)).norm(dim=1)
print(f"  mean distance of box centres (px)  {to_head.mean():>10.1f}{to_creature.mean():>14.1f}")
print("  share of the true box inside       "
      f"{share_inside(boxes_at_cam_t, head_boxes).mean():>10.3f}"
      f"{share_inside(boxes_at_cam_t, test.boxes).mean():>14.3f}")
print("box centre nearer the head's than the creature's in "
      f"{(to_head < to_creature).float().mean():.3f} of the scenes")
sizes = {name: (b[:, 2:] - b[:, :2]).double().mean(0).tolist()
         for name, b in [("head", head_boxes), ("CAM's box", boxes_at_cam_t),
                         ("creature", test.boxes)]}
print(
    "mean box width x height (px): "
    + ", ".join(f"{name} {w:.1f} x {h:.1f}" for name, (w, h) in sizes.items())
)

# %% [markdown] en="5ab967e50f0d"
# 한 수치는 단순한 이야기와 어긋납니다: 머리 박스와의 IoU가 생물의 박스와의
# IoU보다 *낮습니다*. CAM의 박스는 머리 박스가 아닙니다: 머리의 박스는 너비가
# 약 6픽셀이고, CAM의 박스는 약 23픽셀로 생물의 박스만큼 넓습니다. 맵은 4픽셀
# 크기의 셀 16×16개로 되어 있고, 각 셀은 18픽셀 창을 보므로, 머리만 본 맵이라도
# 머리보다 훨씬 큰 덩어리가 됩니다. 다른 행들은 박스가 어디에 있는지 말해 줍니다:
# 박스의 중심은 머리의 중심에서 2픽셀, 생물의 중심에서 9픽셀 떨어져 있고, 박스는
# 모든 머리를 온전히 담지만 생물 박스는 58%만 담습니다. **CAM의 박스는 크기는
# 생물만 하지만, 중심은 머리에 있습니다**: 몸통의 머리 쪽 끝과 머리 주변의 배경을
# 덮고, 몸통의 반대쪽 끝은 놓칩니다. 그림은 이를 네 장면에서 보여 줍니다: 생물의
# 실제 박스(라임색 실선: 초록 클래스의 머리보다 밝은 초록), 머리의 박스(청록
# 점선), $t = 0.2$에서의 CAM의 박스(자홍 파선)입니다.

# %%
fig, axes = plt.subplots(1, 4, figsize=(FIG_WIDTH, 2.9), layout="constrained")
for ax, index in zip(axes, SHOWN):
    title = tr("IoU with creature {creature:.2f}\nwith head {head:.2f}").format(
        creature=ious_at_cam_t[index], head=box_iou(boxes_at_cam_t[index], head_boxes[index]))
    overlay_map(test.images[index], cams[index], ax, colorbar=False, title=title)
    draw_box(ax, test.boxes[index], GT_COLOUR, label=tr("creature's box"))
    draw_box(ax, head_boxes[index], "cyan", linestyle=":", label=tr("head's box"))
    draw_box(ax, boxes_at_cam_t[index], PRED_COLOUR, linestyle="--",
             label=tr("CAM's box, t = {t}").format(t=T_CAM))
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=9)
add_colorbar(list(axes))
plt.show()

# %% [markdown] en="bca0860815c7"
# ### 9. 물체 하나에서 여럿으로: 약지도 객체 탐지
#
# CAM이 약속하는 것은 물체 하나에 그치지 않습니다: 존재하는 클래스마다 클래스
# 맵이 하나씩 있으니, 이미지 레이블만으로 각 물체에 박스를 칠 수 있어야 합니다.
# 코스에는 생물이 두 마리씩 있는 장면 200개가 들어 있습니다(`load_split("pair")`:
# 장면마다 서로 다른 클래스의 생물 두 마리, 레이블 `[N, 2]`, 박스 `[N, 2, 4]`).
# 생물 한 마리짜리 장면으로 학습한 `gap_cnn`을 가져와 두 가지를 묻습니다:
#
# - **물체별 위치 추정**: 각 생물에 대해, 그 생물 클래스의 맵에 임계값을 적용하고
#   (모든 요소에) 박스를 친 다음, 그 생물의 박스와의 가장 좋은 IoU를 구합니다;
# - **탐지**(detection): 레이블 없이, 분류기가 있다고 말하는 클래스들(가장 높은
#   로짓(logit) 두 개. 장면마다 생물이 두 마리이므로)을 정하고, 그 클래스들의
#   맵에서 모든 요소의 박스를 구해, 클래스의 소프트맥스 확률에 마스크에서 그
#   요소가 차지하는 비율을 곱한 값으로 점수를 매긴 다음, PASCAL VOC에서처럼
#   생물과 짝짓습니다: 점수가 높은 순서대로, 클래스가 맞고 아직 짝지어지지 않은
#   생물과의 IoU가 $\ge 0.5$인 탐지를 맞은 것으로 봅니다. 클래스별 정밀도, 재현율,
#   **평균 정밀도**(average precision, AP: 정밀도-재현율 곡선 아래의 넓이, 모든 점
#   보간)와 그 평균(mAP)을 구합니다.
#
# CAM 임계값 $t$(IoU 기준이 아니라 3절의 맵 임계값)는 이번에도 어디선가 정해야
# 합니다. 단일 물체에서 고른 값(테스트
# 분할(test split)에서 IoU 0.5에 대해 가장 좋은 $t$, 6절)을 다시 쓰고, 이 코스
# 자체의 배포 확인으로 새 pair 장면 50개(시드 42)에서 가장 좋은 $t$도 씁니다.
# 비용을 줄이려고 둘 다 임계값 20개짜리 격자에서 고릅니다.

# %%
pair = load_split("pair")  # 200 scenes, two creatures each
GRID = torch.arange(20, dtype=torch.float64) / 20  # 0.00, 0.05, ..., 0.95


@torch.no_grad()
def all_class_maps(net, scenes):
    """Logits [N, 4] and every class's CAM, normalised and upsampled: [N, 4, 64, 64]."""
    class_maps = torch.einsum("ck,nkhw->nchw", net.fc.weight, net.features(scenes.images))
    n, c = class_maps.shape[:2]
    return class_maps.mean(dim=(2, 3)), to_image(class_maps.flatten(0, 1)).view(n, c, 64, 64)


def object_maps(scenes, class_maps):
    """The map of each creature's own class, creature by creature: [2N, 64, 64]."""
    return class_maps[torch.arange(len(scenes))[:, None], scenes.labels].flatten(0, 1)


pair_logits, pair_maps = all_class_maps(model, pair)
pair_object_maps = object_maps(pair, pair_maps)  # creature 2i and 2i + 1 are scene i's
pair_object_boxes = pair.boxes.flatten(0, 1)  # [400, 4]
object_ious = box_ious_at_thresholds(pair_object_maps, pair_object_boxes, cam_thresholds=GRID)
held_pairs = make_pair_scenes(50, seed=42)
held_ious = box_ious_at_thresholds(object_maps(held_pairs, all_class_maps(model, held_pairs)[1]),
                                   held_pairs.boxes.flatten(0, 1), cam_thresholds=GRID)
t_single = thresholds[acc_cam[1].argmax()].item()  # section 6's best t at IoU 0.5, one creature
t_pair = GRID[held_ious.mean(1).argmax()].item()  # best mean IoU on the 50 held-out pair scenes

# %%
# NBVAL_CHECK_OUTPUT
present = pair_logits.topk(2, dim=1).indices  # [200, 2]: the classes the classifier says are there
right_pair = (present.sort(1).values == pair.labels.sort(1).values).all(1)
print(f"two highest logits = the two creatures' classes in {right_pair.float().mean():.3f} "
      "of the 200 scenes")
print("per creature (map of its own class, every component's box, best IoU with its box):")
for name, t in [("single-object t", t_single), ("t from 50 held-out pair scenes", t_pair)]:
    k = int(round(t * 20))
    print(f"  {name:<32} t = {t:.2f}: mean IoU {object_ious[k].mean():.3f}, "
          f"IoU >= 0.5 for {(object_ious[k] >= 0.5).float().mean():.3f}")
pair_table = box_accuracy(object_ious)
print(f"  best on this split, per IoU level (MaxBoxAccV2 on the grid): "
      f"{pair_table.amax(1).mean():.3f}, at t = "
      + " / ".join(f"{GRID[k]:.2f}" for k in pair_table.argmax(1).tolist()))
either = box_accuracy(box_ious_at_thresholds(
    pair_object_maps, pair.boxes.repeat_interleave(2, dim=0), cam_thresholds=GRID))
print(f"  the same, scored against either creature's box (best of 2, as wsolevaluation would): "
      f"{either.amax(1).mean():.3f}")

# %% [markdown] en="367cc213b8ce"
# 분류기는 모든 pair 장면에서 두 클래스를 모두 맞힙니다(1.000). 그러니 *무엇*은
# 해결되었습니다. *어디*는 처음에는 해결되지 않습니다: 단일 물체의 임계값
# $t = 0.08$은 완전히 실패합니다(평균 IoU 0.060, IoU 0.5에 이르는 생물 없음).
# 그렇게 낮은 임계값에서는 각 클래스의 마스크가 두 생물과 그 사이의 배경에 걸쳐
# 퍼지고, 그 박스가 두 생물을 함께 덮기 때문입니다. 홀드아웃 pair 장면 50개에서
# 고른 임계값은 $t = 0.65$로 높습니다: 평균 IoU는 0.352이지만, IoU 0.5에 이르는
# 생물은 여전히 0.020뿐입니다. 이 분할에서 가장 좋은 임계값은 IoU 기준마다
# 다르고(격자에서 0.65 / 0.30 / 0.00), MaxBoxAccV2는 0.287입니다. 각 맵을 두
# 생물 가운데 어느 쪽의 박스와도 비교해 채점하면(wsolevaluation의 "모든 박스
# 가운데 가장 좋은 것") 이 값은 0.288로만 바뀝니다: 맵이 다른 생물에 박스를 치는
# 일은 드뭅니다. (ImageNet에서는 한 이미지의 박스가 모두 그 이미지의 한
# 클래스에 속하므로, 모든 박스 가운데 가장 좋은 것을 취하는 규칙이 다른 클래스의
# 물체 위의 박스에 점수를 줄 수 없습니다. 장면마다 클래스가 둘이면 그럴 수 있지만,
# 여기서는 거의 그러지 않습니다.)

# %%
def detections(class_maps, logits, classes, t):
    """Boxes [D, 4], scores [D], scene [D] and class [D] of every component of the maps of
    `classes` [N, k] thresholded at t. Score: the class's probability times the component's
    share of its mask."""
    n, k = classes.shape
    chosen = class_maps[torch.arange(n)[:, None], classes].flatten(0, 1)  # [N k, 64, 64]
    boxes, sizes, which = component_boxes(threshold_map(chosen, t))
    mask_size = torch.zeros(n * k, dtype=torch.float64).index_add_(0, which, sizes.double())
    det_class = classes.flatten()[which]
    scene = which // k
    scores = logits.softmax(1)[scene, det_class].double() * sizes.double() / mask_size[which]
    return boxes, scores, scene, det_class


def average_precision(det, gt_boxes, gt_labels, iou_level=0.5):
    """Per class: (AP, precision, recall) of the detections `det`, greedy VOC matching."""
    boxes, scores, scene, det_class = det
    results = {}
    for c in range(len(CLASS_NAMES)):
        order = [i for i in scores.argsort(descending=True, stable=True).tolist()
                 if det_class[i] == c]
        n_true = int((gt_labels == c).sum())
        matched, hits = set(), []
        for i in order:
            j = int(scene[i])
            slot = (gt_labels[j] == c).nonzero()
            iou = box_iou(boxes[i], gt_boxes[j, slot[0, 0]]).item() if len(slot) else 0.0
            hit = iou >= iou_level and j not in matched
            matched |= {j} if hit else set()
            hits.append(hit)
        tp = torch.tensor(hits, dtype=torch.float64).cumsum(0)
        precision = tp / torch.arange(1, len(hits) + 1)
        recall = tp / n_true
        # all-point interpolation: precision made non-increasing, summed over recall steps
        envelope = precision.flip(0).cummax(0).values.flip(0)
        steps = torch.diff(recall, prepend=torch.zeros(1))
        results[CLASS_NAMES[c]] = ((envelope * steps).sum().item(), precision[-1].item(),
                                   recall[-1].item())
    return results


# %%
# NBVAL_CHECK_OUTPUT
for t in (t_single, t_pair):
    det = detections(pair_maps, pair_logits, present, t)
    for level in (0.5, 0.3):
        per_class = average_precision(det, pair.boxes, pair.labels, level)
        print(f"t = {t:.2f}, IoU >= {level}: {len(det[0])} detections, mAP "
              f"{np.mean([ap for ap, _, _ in per_class.values()]):.3f}; "
              + ", ".join(f"{name} AP {ap:.3f} (P {p:.2f}, R {r:.2f})"
                          for name, (ap, p, r) in per_class.items()))

# %% [markdown] en="a709cb17b65d"
# 단일 물체에서 고른 CAM 임계값 $t = 0.08$에서는 탐지가 실패합니다(두 IoU 기준
# 모두에서 mAP 0.000). 홀드아웃 pair 장면에서 고른 CAM 임계값 $t = 0.65$에서도,
# 탐지 논문들이 보고하는 PASCAL VOC 기준인 IoU 0.5에서의 AP는 모든 클래스에서
# 여전히 약 0입니다(mAP 0.001): 머리를 중심으로 한 덩어리인 CAM의 박스는 생물의
# 박스와 절반 이상 겹치는 일이 거의 없습니다. 더 느슨한 IoU 0.3에서는 같은 탐지가 mAP 0.709에 이르고,
# 클래스별 정밀도와 재현율은 0.8 안팎입니다. 이미지 레이블은 *어느* 생물이 어디
# 있는지는 찾았지만, 탐지의 기준을 만족할 만큼 빽빽한 박스를 주지는 못했습니다.
#
# **약지도 객체 탐지가 보통 더하는 것.** 실제 WSOD 방법은 클래스마다 맵 하나에
# 임계값을 적용하지 않습니다. 이미지마다 클래스와 무관한 *제안 영역*(proposal)
# 수천 개(Selective Search, EdgeBoxes)에서 출발하고, 탐지를 **다중 인스턴스
# 학습**(multiple-instance learning)으로 다룹니다: 이미지는 제안 영역의 가방이며,
# 제안 영역 가운데 적어도 하나가 어떤 클래스를 보이면 그 클래스에 대해 양성으로
# 레이블됩니다. WSDDN(Bilen과 Vedaldi, CVPR 2016)은 모든 제안 영역을 두 갈래로
# 채점합니다. 하나는 클래스에 대한 분류 소프트맥스, 다른 하나는 제안 영역에 대한
# 탐지 소프트맥스이며, 그 곱을 제안 영역들에 대해 더해 이미지 점수를 만들고, 이
# 이미지 점수를 이미지 레이블이 지도합니다. OICR(Tang 외, CVPR 2017)은 정제
# 단계를 더합니다. 각 단계는 이전 단계에서 점수가 가장 높은 제안 영역을 그 이웃의
# 의사 정답(pseudo ground truth)으로 삼으며, 이렇게 해서 탐지가 가장 판별적인
# 부분에서 물체 전체로 퍼집니다. 8절에서 측정한 바로 그 약점을 겨냥한 것입니다.
#
# **약지도 분할이 보통 더하는 것.** CAM은 *씨앗*(seed)입니다: 맵의 높은 영역은
# 믿을 만한 물체 픽셀을, 낮은 영역은 믿을 만한 배경을 표시합니다. 그런 다음 이
# 씨앗을 키우고 다듬어 픽셀 단위의 *의사 레이블*로 만듭니다. 영역 확장(SEC,
# DSRG), 맵을 물체의 경계까지 퍼뜨리는 학습된 픽셀 친화도(AffinityNet), 또는
# 조건부 무작위장(CRF)을 씁니다. 마지막으로 표준 분할 네트워크를 이 의사
# 레이블이 실제 마스크인 것처럼 학습시킵니다. 5절의 마스크는 이 가운데 씨앗
# 단계일 뿐입니다.
#
# ### 10. 증거로서의 제거: 제거하면 클래스가 바뀌는 영역
#
# 맵은 어떤 픽셀들이 클래스에 중요하다고 주장합니다. 반사실(counterfactual) 검사로 이를
# 확인합니다: 맵이 임계값 $t$에서 남기는 영역을 **제거하고**(노트북 03의
# 가림(occlusion)처럼 장면의 평균 색으로 채웁니다) 그 클래스의 로짓이 얼마나
# 떨어지는지를, **같은 크기의 무작위 영역**(같은 마스크를 무작위 오프셋만큼
# 옮기고, 이미지 가장자리에서는 반대편으로 감아 돌림)과 비교해 잽니다. 비용을
# 줄이려고 첫 pair 장면 50개의 생물들을 씁니다.

# %%
# NBVAL_CHECK_OUTPUT
N_DEL = 50
del_images = pair.images[:N_DEL].repeat_interleave(2, dim=0)  # [100, 3, 64, 64], one per creature
del_classes, del_maps = pair.labels[:N_DEL].flatten(), pair_object_maps[: 2 * N_DEL]
del_boxes = pair_object_boxes[: 2 * N_DEL]
fill = del_images.mean(dim=(2, 3), keepdim=True)  # each scene's mean colour
rows_del = torch.arange(2 * N_DEL)


@torch.no_grad()
def after_removal(region):
    """The creature's class logit after filling `region` [n, 64, 64], and whether its class
    is still among the two classes the classifier says are present."""
    logits = model(torch.where(region[:, None], fill, del_images))
    own = logits[rows_del, del_classes]
    return own, own >= logits.topk(2, dim=1).values[:, 1]


clean_logit = pair_logits[:N_DEL].repeat_interleave(2, dim=0)[rows_del, del_classes]
kept = threshold_map(del_maps, t_pair)
shift = torch.randint(0, 64, (2 * N_DEL, 2), generator=torch.Generator().manual_seed(0))
random_region = torch.stack([m.roll((int(dy), int(dx)), dims=(0, 1))
                             for m, (dy, dx) in zip(kept, shift)])
print(f"t = {t_pair:.2f}: the region covers {kept.float().mean():.2f} of the image on average")
for name, region in [("the map's region", kept), ("a random region, same size", random_region)]:
    own, still = after_removal(region)
    print(f"  remove {name:<28} logit drop {(clean_logit - own).mean():5.1f}, "
          f"class no longer among the two present: {(~still).float().mean():.2f}")

# %% [markdown] en="ded1afb7584e"
# 이미지의 7%인 맵의 영역을 제거하면 클래스의 로짓은 4.5 떨어지고, 생물의
# 0.56에서 분류기가 있다고 말하는 두 클래스에서 그 클래스가 빠집니다. 같은 크기의 무작위
# 영역은 0.2만 떨어뜨리고, 0.01에서만 클래스를 바꿉니다. 맵의 영역은 반사실의
# 의미에서 증거입니다: 예측은 그 영역에 기대고 있습니다.
#
# 이제 이 검사를 위치 추정기로 바꿔 봅니다. 각 생물에 대해 $t$를 한 단계씩
# 낮추고(0.8, 0.6, 0.4, 0.2, 0.0), 제거했을 때 분류기가 있다고 말하는 두
# 클래스에서 그 클래스가 빠지는 첫 영역에서 멈춥니다: 이 격자에서, 예측에 없어서는
# 안 되는 가장 작은 영역입니다. 그 영역을 둘러싸는 가장 작은 박스가
# **제거 박스**이며, CAM의 박스와 같은 물체별 IoU로 채점합니다.

# %%
# NBVAL_CHECK_OUTPUT
removal_t = torch.full((2 * N_DEL,), -1.0)
removal_box = torch.zeros(2 * N_DEL, 4, dtype=torch.int64)
for t in (0.8, 0.6, 0.4, 0.2, 0.0):
    region = threshold_map(del_maps, t)
    _, still = after_removal(region)
    first = ~still & (removal_t < 0)
    removal_t[first] = t
    removal_box[first] = box_of_mask(region[first])
found = removal_t >= 0
removal_iou = box_iou(removal_box, del_boxes)
k_pair = int(round(t_pair * 20))
cam_iou = object_ious[k_pair, : 2 * N_DEL]
print(f"a region whose removal changes the class found for {found.float().mean():.2f} "
      f"of the {2 * N_DEL} creatures")
print(f"{'same 100 creatures':<40}{'mean IoU':>9}{'IoU >= 0.5':>11}{'IoU >= 0.3':>11}")
for name, ious in [("removal box (none found: IoU 0)", removal_iou),
                   (f"CAM's best component box, t = {t_pair:.2f}", cam_iou)]:
    print(f"{name:<40}{ious.mean():>9.3f}{(ious >= 0.5).float().mean():>11.2f}"
          f"{(ious >= 0.3).float().mean():>11.2f}")

# %% [markdown] en="ce84e3697845"
# 생물의 0.89에서는 격자의 어떤 영역이 클래스를 바꿉니다. 그러나 같은 생물
# 100마리에서 제거 박스는 CAM 자체의 박스보다 점수가 *더 나쁩니다*(평균 IoU
# 0.236 대 0.351. IoU $\ge 0.3$인 비율은 0.49 대 0.80): 마침내 클래스를 뒤집는
# 영역은 흔히 낮은 임계값의 영역이고, 그 영역의 박스는 배경과 다른 생물 위로
# 퍼집니다. 예측에 없어서는 안 되는 것은 이번에도 머리 주변입니다. 반사실
# 검사는 맵의 증거를 확인해 주지만, 그 증거를 물체 전체로 넓혀 주지는 않습니다.

# %% [markdown] en="c288e70cf60f"
# ## 토론
#
# - **이미지 레이블은 물체를 가리키기는 합니다, 대략.** 학습에 박스가 하나도
#   없었는데도, 가장 좋은 임계값에서 CAM의 박스 80%가 생물의 박스와 IoU 0.3
#   이상으로 겹칩니다. 약지도학습(weakly supervised learning)이 작동하는
#   모습입니다: 클래스 레이블만으로 증거가 *어디* 있는지 찾기에 충분했습니다.
# - **그러나 레이블이 가리키는 것은 물체가 아니라 증거입니다.** 분류기에는 가장
#   판별적인 부분만 있으면 되고, 맵은 분류기에 필요한 것을 보여 줍니다: 머리는
#   0.86점, 몸통의 나머지는 0.35점입니다. 박스의 크기는 생물만 하지만(평균
#   23 x 23픽셀, 생물은 22 x 21) 중심은 머리에 있어, 머리의 중심에서 2픽셀, 생물의
#   중심에서 9픽셀 떨어져 있습니다. 그래서 IoU 0.5에 이르는 박스는 9%뿐입니다.
#   이것은 CAM의 버그가 아니라 학습 목표가 요구하는 바로 그것입니다. 노트북 05의
#   ACoL은 목표를 바꿉니다: 특징에서 머리를 지우고, 두 번째 분류기가 클래스를
#   다른 곳에서 찾게 합니다.
# - **공정하게 재십시오. 그렇지 않으면 비교는 임계값에 관한 것이 됩니다.**
#   $t = 0.2$에서는 CAM이 ACoL을 이겼고, 각 방법의 최선의 임계값에서는 ACoL이
#   CAM을 이겼습니다. 채점하는 분할에서 각 방법의 최선의 임계값을 취하는, 임계값이
#   필요 없는 수치(MaxBoxAccV2, PxAP)를 보고하십시오. Choe 외는 방법 자체의
#   하이퍼파라미터를 완전 지도 레이블이 있는 작은 홀드아웃 분할에서 조정합니다.
#   배포에서는 홀드아웃 장면 100개에서 고른 임계값이 오라클과 0.03 이내로
#   차이 났습니다(7절).
# - **지표들은 배울 점이 있는 방식으로 서로 어긋납니다.** ACoL의 맵은
#   박스(MaxBoxAccV2)에서는 이기지만 PxAP에서는 집니다(7절의 표): 맵이 몸통뿐
#   아니라 배경 위로도 퍼지고, PxAP는 모든 픽셀을 채점하기 때문입니다. 수치를
#   하나보다 많이 보고하십시오. 그 까닭은 노트북 05에서 살펴봅니다.
# - **우리의 작은 실험의 한계.** 1절과 2절의 학습 실행은 100스텝 길이이고
#   시드에 따라 결과가 달라집니다. 각 효과의 방향을 보여 줄 뿐, 실제 환경에서의
#   크기를 보여 주지는 않습니다. 생물이 두 마리인 장면(9절)에서는 단일 물체의
#   임계값이 완전히 실패했고, pair 장면을 위해 고른 임계값으로도 IoU 0.5에서의
#   AP는 0 가까이에 머물렀습니다: 이미지 레이블이 주는 것은 대략적인 *어디*이지,
#   탐지기가 아닙니다.
#
# ## 요약
#
# - 약지도에는 세 가지 종류가 있습니다: 너무 적은 레이블(불완전), 출력보다 거친
#   레이블(거친 지도), 틀린 레이블(부정확). 이미지 레이블에서 박스를 얻는
#   WSOL은 거친 지도에 속합니다.
# - 절차: 클래스 맵을 정규화하고, $t$에서 임계값을 적용하고, 8-연결 요소를
#   구하고, 가장 큰 요소에 박스를 칩니다. 마스크 자체는 대략적인 분할입니다.
# - 끝 좌표를 포함하지 않는 꼭짓점의 IoU: $|b| = (x_1 - x_0)(y_1 - y_0)$.
#   GT-known Loc은 *어디*만 묻고, Top-1 Loc은 *무엇*도 물으며 정확도를 넘을 수
#   없습니다.
# - 박스의 질은 $t$에 크게 좌우되고, 최선의 $t$는 IoU 기준마다, 방법마다
#   다릅니다. MaxBoxAcc, MaxBoxAccV2, PxAP는 채점하는 분할에서 최선의 임계값을
#   취해 임계값을 비교에서 빼냅니다. 배포용 임계값은 홀드아웃 박스 몇 개로 고를
#   수 있습니다.
# - `gap_cnn`의 CAM: MaxBoxAccV2 0.296, MaxBoxAcc 0.090, PxAP 0.346. 그 박스는
#   중심이 머리에 있고, 머리를 온전히 담으며, 생물의 박스는 절반을 조금 넘게만
#   덮습니다.

# %% [markdown] en="07912dac4f90"
# ## 연습 문제
#
# 각 연습 문제는 확인으로 끝납니다: 셀을 실행하면 무엇이 맞는지, 또는 무엇을
# 기대했는지 알려 줍니다. 셀은 자리만 채운 답(`None`)으로 시작하므로, 여러분이
# 답을 채우기 전까지 확인은 "아직 아닙니다"라고 말합니다. 풀이는 별도의 노트북
# [solutions/04_weak_supervision_solutions.ipynb](solutions/04_weak_supervision_solutions.ipynb)에
# 있어서, 어떤 답도 해당 연습 문제 아래에 보이지 않습니다. 먼저 직접 풀어 보십시오.
#
# **연습 문제 1: 손으로 구하는 박스 IoU.** **끝을 포함하지 않는** `x1, y1`을
# 갖는 튜플 `(x0, y0, x1, y1)`로 주어진 두 박스에 대해, Python 산술만으로
# (`box_iou` 없이) `my_box_iou(a, b)`를 작성하십시오. 확인은 겹치는 박스부터
# 박스가 없는 `(0, 0, 0, 0)`까지 일곱 쌍으로 시험합니다. 실행하기 전에 첫 번째
# 쌍 `(1, 2, 7, 8)`과 `(4, 5, 12, 9)`를 종이에 계산해 보십시오.

# %%
def my_box_iou(a, b):
    return None  # your code: the IoU of boxes a and b


checks.check_box_iou(my_box_iou)

# %% [markdown] en="644662c0702b"
# **연습 문제 2: 어느 종류일까?** 아래의 각 상황이 약지도의 어느 종류인지
# 말하십시오: `"incomplete"`(불완전), `"inexact"`(거친) 또는
# `"inaccurate"`(부정확).

# %%
for number, (situation, _, _) in enumerate(checks.SITUATIONS, start=1):
    print(f"{number}. {situation}")

# %%
kinds = None  # a list of four words, e.g. ["inexact", ...]
checks.check_kinds(kinds)

# %% [markdown] en="68265178a514"
# **연습 문제 3: 두 수치로 구하는 Top-1 Loc.** 어떤 모델이 테스트 이미지의
# 90%를 올바르게 분류하고, 진짜 클래스의 맵에서 얻은 박스가 그 가운데 60%에서
# IoU 0.5에 이릅니다(GT-known Loc 0.6). 다른 정보가 전혀 없을 때, 이 모델의
# Top-1 Loc은 가장 낮으면 얼마이고 가장 높으면 얼마일 수 있을까요? 힌트: 올바르게
# 분류된 이미지에서는 예측된 클래스의 맵이 *곧* 진짜 클래스의 맵입니다.

# %%
top1_low, top1_high = None, None  # fractions between 0 and 1
checks.check_top1_bounds(top1_low, top1_high, accuracy=0.9, gt_known=0.6)

# %% [markdown] en="5a8903848032"
# **연습 문제 4: CAM은 머리를 얼마나 잘 분할할까?** 8절에서는 맵이 머리에 관한
# 것이라고 했습니다. 그렇다면 맵의 마스크는 어떤 *높은* 임계값에서 머리의
# 마스크(`test.part_masks`)와 가장 잘 맞아야 합니다. 각 임계값에서 머리와의 평균
# 마스크 IoU를 계산하고(`maps`와 함께 `mask_iou_curve`), 그래프로 그린 다음,
# 가장 좋은 임계값과 그곳에서의 평균 IoU를 읽어 내십시오. 5절의 생물 곡선과
# 비교하십시오.

# %%
head_threshold = None  # the best threshold, read off your curve
head_iou = None  # the mean mask IoU with the heads at that threshold
checks.check_head_mask(head_threshold, head_iou)

# %% [markdown] en="a22b11a3ccb3"
# **연습 문제 5: 손으로 구하는 MaxBoxAcc, MaxBoxAccV2, PxAP.** 아주 작은 맵
# 세 개(`checks.TOY_MAPS`, 4행 6열, 각각 0에서 4까지), 그 실제 박스
# (`checks.TOY_BOXES`)와 마스크(`checks.TOY_MASKS`, 각 박스를 채운 것), 그리고
# CAM 임계값 세 개 `checks.TOY_THRESHOLDS` = 0.25, 0.5, 0.75만 있습니다.
# MaxBoxAcc(가장 큰 요소, IoU 0.5), MaxBoxAccV2(모든 요소; IoU 0.3, 0.5, 0.7에서
# 각각 최선의 임계값; 평균), PxAP를 `threshold_map`, `mask_to_boxes`, `box_iou`로,
# 또는 종이 위에서 계산하되 `max_box_acc`와 `pxap`는 쓰지 마십시오. 이미지 2의
# $t = 0.5$를 눈여겨보십시오: 어느 요소가 가장 클까요?

# %%
print(checks.TOY_MAPS.int(), checks.TOY_BOXES, sep="\n")
toy_max_box_acc, toy_max_box_acc_v2, toy_pxap = None, None, None
checks.check_toy_metrics(toy_max_box_acc, toy_max_box_acc_v2, toy_pxap)
