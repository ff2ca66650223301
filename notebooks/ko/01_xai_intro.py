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

# %% [markdown] en="dc80699dd7c4"
# # 01 · 네트워크를 왜 설명해야 할까?
#
# ## 이 노트북의 목표
#
# 테스트 세트에서 100%를 맞히는 분류기(classifier)는 *얼마나 자주* 맞는지를
# 알려 줄 뿐, *왜* 맞는지는 알려 주지 않습니다. 이 노트북은 그 "왜"가 왜
# 중요한지 보여 줍니다. 작은 합성곱(convolution) 신경망을 열어 이미지 한 장이
# 그 안을 지나가는 과정을 텐서 하나하나 따라가며, 사물이 *어디에* 있는지에
# 대한 정보가 어디에 담겨 있는지 살펴봅니다. 그다음 테스트 장면(scene)에서
# 100%를 맞히지만 이유가 틀린 모델을 만납니다: 이 모델은 생물(creature)이 아니라
# 구석의 워터마크를 읽습니다. 클래스 맵(class map)은 모델이 그곳을 보고 있음을
# 보여 주고, 워터마크를 치우면 그 대가가 얼마인지 드러납니다.
#
# ### 학습 목표
#
# 이 노트북을 마치면 여러분은
#
# - 설명이 쓰이는 네 가지 목적을 말할 수 있습니다: 모델이 왜 잘 동작하는지
#   이해하기, 왜 실패하는지 찾기, 고치기, 그리고 의도적인 조작을 잡아내기;
# - 선형 모델과 달리 깊은 신경망은 가중치(weight)를 읽는 것만으로는 설명할 수
#   없는 이유를 말할 수 있습니다;
# - 이미지 한 장이 CNN 분류기를 지나가는 과정을 따라가며 각 텐서의 모양을
#   말할 수 있습니다: 이미지, 특징 맵(feature map), 풀링된 벡터, 로짓(logit),
#   확률;
# - *지름길 학습*(shortcut learning, "영리한 한스" 효과)을 설명하고, 어떤
#   모델에서 수치로(단서가 있을 때와 없을 때의 정확도) 보여 주며, 클래스 맵에서
#   그것을 확인할 수 있습니다;
# - 이 코스의 이후 노트북이 각각 어떤 질문에 답하는지 말할 수 있습니다.
#
# ### 차례
#
# **이론**
# 1. 모델 설명은 무엇을 위한 것인가
# 2. 깊은 신경망은 왜 설명하기 어려운가
# 3. 이미지 분류 파이프라인
# 4. 지름길 학습: 영리한 한스
#
# **실습**
# 1. 텐서 하나하나 따라가는 파이프라인
# 2. 퍼즐은 얼마나 큰가?
# 3. 틀린 이유로 점수를 얻는 모델
# 4. 모델은 어디를 보는가?
#
# **토론, 요약, 코스 지도**
#
# **연습 문제**(exercise, 자체 확인 포함). 풀이(solution)는 별도의 노트북에
# 있습니다.
#
# ### 참고 문헌
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
#   Machine Learning Model Supply Chain.* arXiv:1708.06733. (백도어 트리거)
# - Zhang, Bargal, Lin, Brandt, Shen, Sclaroff (2016/2018). *Top-down Neural
#   Attention by Excitation Backprop.* ECCV 2016 / IJCV 2018. (포인팅 게임)

# %% [markdown] en="225ed01ca0ce"
# ## 이론
#
# ### 1. 모델 설명은 무엇을 위한 것인가
#
# 설명 가능한 AI(explainable AI, XAI)는 학습된 모델에게 어떤 결정을 내릴 때
# *어떤 증거(evidence)*를 사용했는지 묻습니다. 이 답이 필요한 상황은 네 가지입니다.
#
# 1. **왜 잘 동작하는지 이해하기.** 높은 점수는 모델이 자주 맞는다는 것을
#    말해 줍니다. 설명은 모델이 *옳은 이유로* 맞는지를 말해 줍니다: 새를
#    분류하는 분류기는 정말 새를 보고 있을까요?
# 2. **왜 실패하는지 찾기.** 테스트에서 잘하던 모델이 새 데이터에서 실패할 때,
#    실패한 이미지들의 설명은 모델이 물체 대신 기대었던 증거를 가리킵니다.
# 3. **고치기.** 잘못된 증거의 정체가 밝혀지면 그것을 없앨 수 있습니다: 학습
#    데이터를 정제하거나 균형을 다시 맞추고, 단서를 마스크(mask)로 가리거나 무작위로
#    바꾸고, 데이터를 증강합니다. 그다음 같은 설명으로, 고친 모델이 다른 곳을
#    보는지 확인합니다.
# 4. **조작 잡아내기.** *백도어*(backdoor) 공격(Gu 등, 2017)에서는 누군가 학습
#    이미지 몇 장에 작은 트리거(trigger) 패치를 찍고, 그 레이블을 자신이 고른
#    클래스로 바꿉니다. 모델은 "트리거가 있으면 그 클래스"라고 배우고 깨끗한
#    이미지에서는 정상적으로 동작하므로, 테스트 정확도로는 이를 드러낼 수
#    없습니다. 트리거는 일부러 심어 둔 가짜 단서(spurious cue)입니다. 여러
#    이미지에서 똑같은 작은 패치를 밝게 비추는 맵이 있으면 정체가 드러납니다.
#
# Doshi-Velez와 Kim(2017)은 이 상황들을 꿰는 공통점을 이렇게 짚습니다: 설명이
# 필요한 때는 우리가 학습하고 테스트한 목표가 우리가 원하는 것을 *불완전하게*
# 기술할 때입니다. 우리가 원하는 것은 "생물을 알아보기"인데, 우리가 학습하고
# 측정한 것은 "이런 이미지에서 좋은 점수 얻기"입니다. 둘이 어긋나는 곳을, 평소
# 방식으로 측정한 정확도는 보지 못합니다. 설명은 그것을 보여 줄 수 있습니다.
#
# ### 2. 깊은 신경망은 왜 설명하기 어려운가
#
# 선형 모델은 스스로를 설명합니다: 점수는 $z = \sum_i w_i x_i + b$이고, 가중치
# $w_i$는 입력 $i$가 얼마나 중요한지를 모든 이미지에 똑같이 알려 줍니다. 깊은
# 신경망에는 이런 표가 없습니다. 이유는 세 가지입니다.
#
# - **많은 파라미터(parameter).** 이 코스의 작은 신경망조차 가중치가 수만
#   개이고, 실제로 쓰이는 이미지 모델은 수백만 개입니다(아래에서 둘 다 세어
#   봅니다). 아무도 이것을 읽어 낼 수 없습니다.
# - **분산 표현(distributed representation).** "초록 머리" 같은 개념은 한 유닛에
#   저장되지 않습니다: 여러 채널이 그 개념에 반응하고, 각 채널은 여러 개념에
#   관여합니다. 결정 하나를 나르는 데 채널이 몇 개 필요한지 세어 보고, 둘 이상의
#   클래스에 쓰이는 채널도 찾아볼 것입니다.
# - **비선형성과 깊이.** ReLU와 최대 풀링(max-pool)은 입력에 따라 신경망의 일부를 켜고
#   끄며, 이런 층이 여러 겹 쌓여 있습니다. 한 픽셀이 얼마나 중요한지는 다른 모든
#   픽셀에 달려 있으므로, 입력마다 정해진 하나의 수란 없습니다.
#
# 그래서 가중치를 읽는 대신, 학습된 신경망에 이미지 한 장에 대한 더 좁은 질문을
# 던집니다: 이 이미지의 *어디에* 클래스 $c$의 증거가 있는가? 이 질문에 답하는
# 것이 **클래스 활성화 맵**(class activation map, CAM)이며(Zhou 등, 2016; 어떤
# CNN에든 쓰도록 넓힌 것은 Selvaraju 등, 2017), 이 코스의 주제입니다.
#
# ### 3. 이미지 분류 파이프라인
#
# 이 코스의 분류기는 모두 같은 모양입니다. 이미지
# $I \in [0, 1]^{3 \times 64 \times 64}$에 대해:
#
# 1. 합성곱 **백본**(backbone)이 이미지를 $h \times w$개 위치로 된 성긴 격자
#    위의 **특징 맵** $K$개 $f_k(x, y)$, $k = 1 \dots K$로 바꿉니다(노트북
#    03에서는 Grad-CAM 논문처럼 $A^k_{ij}$로 씁니다). 합성곱과 풀링은 이미지
#    위를 미끄러지며 계산하므로, 특징 맵의 위치 $(x, y)$는 여전히 이미지의 한
#    영역을 나타냅니다: 특징 맵은 *어디*를 간직합니다.
# 2. **헤드**(head)가 특징 맵을 클래스마다 점수 하나, 곧 **로짓** $z_c$로
#    바꿉니다(노트북 02는 이를 $S_c$로, 노트북 03은 $y^c$로 씁니다. 각자 해당
#    논문을 따른 것이며 같은 수입니다). 처음 쓰는 모델에서 헤드는 *무엇*은
#    남기고 *어디*는 버리는 전역 평균 풀링(global average pooling, GAP)이고,
#    $$F_k = \frac{1}{hw} \sum_{x, y} f_k(x, y),$$
#    그 뒤에 채널과 클래스마다 가중치 $w_k^c$ 하나를 가진 선형 층이 옵니다.
#    $$z_c = \sum_k w_k^c F_k.$$
# 3. **소프트맥스**(softmax)가 로짓을 양수이고 합이 1인 확률로 바꿉니다.
#    $$p_c = \mathrm{softmax}(z)_c = \frac{e^{z_c}}{\sum_j e^{z_j}},$$
#    예측은 로짓이 가장 큰 클래스(같은 말로, 확률이 가장 큰 클래스)입니다.
#
# 노트북 02에서는 바로 이 헤드일 때 로짓 $z_c$를 위치 $(x, y)$들 위로 다시
# 펼칠 수 있음을 보입니다: 그렇게 펼친 것이 클래스 맵입니다.
#
# ### 4. 지름길 학습: 영리한 한스
#
# 영리한 한스(Clever Hans)는 1900년 무렵 산수를 하는 것처럼 보였던 말입니다.
# 실제로 한스는 질문하는 사람의 몸짓을 읽고 있었습니다. Lapuschkin 등(2019)은
# PASCAL VOC 벤치마크의 "horse"(말) 클래스에서 좋은 성적을 낸 분류기에서 같은
# 현상을 발견했습니다: 말 사진 중 상당수는 구석에 저작권 표시가 있었고,
# 분류기는 그 표시를 검출하도록 학습되어 있었습니다. 분류기가 쓴 증거를 그린
# 히트맵이 정체를 드러냈습니다. Geirhos 등(2020)은 이런 사례를 여럿 모아
# **지름길 학습**이라는 이름으로 묶었습니다: 표준 테스트 세트에서는 점수가
# 좋지만(그 테스트 세트가 학습 세트와 같은 지름길을 공유하기 때문입니다), 다른
# 테스트 조건에서는 실패하는 결정 규칙입니다.
#
# 가져가야 할 요점: 학습 세트와 같은 방식으로 뽑은 테스트 세트에는 같은 지름길이
# 들어 있으므로, **테스트 정확도로는 지름길을 잡아낼 수 없습니다**. 지름길이
# 없는 데이터나 설명만이 잡아낼 수 있습니다. 실습에서는 바로 이 상황을 우리의
# 작은 세계에 만들어 봅니다.

# %% [markdown] en="622f123a55c9"
# ## 실습
#
# 필요한 것은 모두 코스 라이브러리 `course_utils`에서 가져옵니다: 함께 제공되는
# 모델과 고정된 테스트 장면(불러올 때 `data/manifest.json`과 대조해 확인합니다),
# 클래스 맵, 평가 지표 하나, 그리고 그림 그리기 도우미들입니다. 우리가 직접
# 만드는 작은 도우미 하나는 모델을 여러 장면에 한 배치씩 적용합니다.

# %%
from course_utils.language import set_language

set_language("ko")

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

# %% [markdown] en="520661d24d02"
# ### 1. 텐서 하나하나 따라가는 파이프라인
#
# 우리의 세계는 어수선한 줄무늬 배경 위에 *생물* 하나가 있는 64×64 장면들로
# 이루어져 있습니다. 생물에게는 작은 **머리**(head)가 있고, 그 색이 클래스를 정합니다:
# 네 클래스의 이름도 그 색을 따라 빨강, 초록, 파랑, 노랑입니다. 큰 **몸통**(body)에는
# 일부러 넣은 두 번째의, 더 약한 단서가 있습니다: 옅은 빛깔(tint)인데, 클래스에
# 속하지만 머리의 색은 *아닌* 색조(hue)를 중심으로 그려지며(빨강 생물은 청록
# 부근, 초록 생물은 분홍 부근, 파랑 생물은 주황 부근, 노랑 생물은 초록 부근),
# 아주 넓게 퍼져 있어서 이웃한 클래스들의 빛깔이 서로 겹칩니다. 그러니 몸통이
# 초록빛인 빨강 생물은 레이블 오류가 아닙니다: 몸통은 약한 증거이고, 머리가 강한
# 증거입니다. 세계를 이렇게 만든 것은 분류기가 머리만 볼 이유를 충분히 갖게
# 하려는 것이고, 이것이 바로 ACoL(노트북 05)이 고안된 상황입니다.
#
# `gap_cnn`은 이 코스의 표준 모델입니다: 합성곱 블록 네 개와 최대 풀링 두 개로
# 된 백본 다음에 GAP와 편향(bias) 없는 선형 층 `fc`가 옵니다. 모델을 출력하면
# 파이프라인의 부분들이 이름으로 보입니다: `features`, `pool`, `fc`. 모델을
# 학습할 때 기록한 매니페스트(manifest)는 몇 개의 장면으로 학습했는지, 그리고
# 고정된 테스트 장면에서 얼마나 잘했는지 알려 줍니다.

# %%
model = load_model("gap_cnn")
test = load_split("test")  # 1,000 frozen test scenes
print(model)
record = load_manifest()["models"]["gap_cnn"]
print(f"trained on {record['config']['n_train']:,} scenes; "
      f"test accuracy {record['test_accuracy']:.3f}")

# %% [markdown] en="952bf2cdb67c"
# 몸통은 얼마나 약하고, 머리는 얼마나 강할까요? 신경망이 필요 없는 규칙 하나가
# 답해 줍니다: 테스트 생물마다 몸통(또는 머리)의 평균 색을 구하고, 색조(또는
# 머리 색)가 가장 가까운 클래스를 추측합니다. 각 클래스의 몸통 색조는 둘레가 1인
# 색상환 위에서 그 중심의 ±0.18 안에서 뽑히고, 이웃한 중심들은 0.2에서 0.3밖에
# 떨어져 있지 않습니다.

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

# %% [markdown] en="10d24c438787"
# 몸통의 색조만으로 약 70%의 생물에서 클래스를 맞힙니다: 우연 수준(25%)보다
# 훨씬 높으니 진짜 증거이지만 약한 증거이고, 틀린 추측은 모두 빛깔이 겹치는
# 클래스를 가리킵니다. 머리의 색은 모든 생물의 클래스를 맞힙니다. 이 장면들로
# 학습한 신경망은 머리만으로 100%에 이를 수 있습니다. `gap_cnn`의 증거 중
# 얼마만큼이 머리에 있는지는 노트북 02에서 측정합니다.
#
# 테스트 장면 하나가 모델을 지나가는 과정을 따라가 보겠습니다. 배치 축을 맨 앞에
# 유지하고(이미지 한 장짜리 배치), 도중에 나오는 각 텐서의 모양을 출력합니다.

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

# %% [markdown] en="219960c4486a"
# 모양을 하나의 이야기로 읽어 보세요: 64×64 픽셀의 색 채널 3개가 **16×16
# 위치로 된 채널 64개**가 됩니다(2×2 최대 풀링 두 번이 64를 두 번 반으로
# 줄입니다). 그래서 위치 하나는 이미지의 4×4 픽셀 칸 하나를 나타냅니다. GAP는
# 각 채널을 256개 위치에 걸쳐 평균 내어 수 하나로 만듭니다: 수 64개가 남고,
# 위치는 하나도 남지 않습니다. 선형 층은 이 수들을 섞어 로짓 4개를 만들고,
# 소프트맥스는 이를 확률 4개로 바꿉니다. `model(image)`를 호출하면 같은 단계가
# 한 번에 실행되며, 수도 일치합니다:

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

# %% [markdown] en="deb84786c479"
# **특징 맵은 아직 생물이 어디 있는지 알고 있을까요?** 각 채널은 그 자체로
# 16×16 이미지입니다. 64개 중 어느 것을 봐야 할까요? 어떤 채널이 어떤 클래스에
# 중요한지는 선형 층이 알려 줍니다: 바로 가중치 $w_k^c$입니다. 아래에는 클래스마다
# 그 클래스에 대한 가중치가 가장 큰 채널을 장면의 격자 위에(네모 하나가 특징 맵
# 위치 하나, 곧 4×4 픽셀입니다) 네 채널 모두 같은 색 척도로 그립니다. 흰 원은
# 생물의 머리가 있는 곳을 표시합니다.

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

# %% [markdown] en="bc4587393a4c"
# 이 장면의 클래스에 가장 중요한 채널은 작은 한 점에서 밝게 빛나고 다른 곳에서는
# 어둡습니다. 다른 세 클래스의 채널은 거의 잠잠한데, 장면에 그 색의 머리가 없기
# 때문입니다(아래 셀이 이 장면에서 각 채널의 최댓값을 출력합니다). 밝은 점은
# 머리일까요? 그 위치를, 장면 생성기가 알고 있는 머리의 위치와 비교합니다:

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

# %% [markdown] en="bdb4fdec86bb"
# 그렇습니다: 최고점(peak)이 있는 4×4 픽셀 칸은 머리와 겹치고, 그 칸의 중심은 머리
# 중심에서 한 칸 거리 안에 있습니다. 정확히 머리 위는 아닙니다: 각 위치는 자기
# 칸을 둘러싼 18×18 픽셀 창을 보므로, 가장 강한 반응이 머리 옆 칸에 놓일 수
# 있습니다. 특징 맵의 정밀도는 그 격자만큼입니다. 특징 맵은 *무엇*(어느 채널이
# 반응하는지)과 *어디*(어느 위치에서)를 압니다. GAP는 *무엇*만 남깁니다. 클래스
# 점수(class score)에 대해 *어디*를 되찾는 방법은 노트북 02가 보여 주며, 그것이
# CAM입니다.

# %% [markdown] en="f6c6312468e6"
# ### 2. 퍼즐은 얼마나 큰가?
#
# 이론에서는 신경망을 가중치를 읽어서 설명할 수 없는 이유 세 가지를 들었습니다.
# 그중 둘은 셀 수 있습니다. 먼저 파라미터의 수입니다. 우리 모델의 것과, 고전적인
# ImageNet 신경망인 VGG-16의 층 하나의 것을 셉니다. VGG-16의 첫 완전 연결 층은
# 7×7 위치로 된 특징 맵 512개를 유닛 4,096개로 보냅니다:

# %%
# NBVAL_CHECK_OUTPUT
n_backbone = sum(p.numel() for p in model.features.parameters())
n_head = sum(p.numel() for p in model.fc.parameters())
print(f"gap_cnn: {n_backbone:,} parameters in the backbone, {n_head:,} in the head")
print(f"VGG-16, first fully connected layer alone: {512 * 7 * 7 * 4096:,} weights")

# %% [markdown] en="5c71f5260d87"
# 둘째, 결정이 얼마나 분산되어 있는지입니다. 로짓은 채널에 대한 합
# $z_c = \sum_k w_k^c F_k$이므로, 증거 가운데 각 채널의 몫 $w_k^c F_k$를 그대로
# 읽어 낼 수 있습니다. 어느 한 채널이 그 클래스의 "검출기"라면, 그 채널이 증거를
# 거의 다 나를 것입니다:

# %%
# NBVAL_CHECK_OUTPUT
shares = weights[predicted] * pooled[0]  # w_k^c F_k for the predicted class: they add up to z_c
positive = shares[shares > 0].sort(descending=True).values
needed = int((positive.cumsum(0) < 0.9 * positive.sum()).sum()) + 1
print(f"z_{CLASS_NAMES[predicted]} = {shares.sum():.2f}, "
      f"the sum of {len(shares)} channel contributions")
print(f"{len(positive)} channels add evidence for {CLASS_NAMES[predicted]}; the largest adds "
      f"{positive[0] / positive.sum():.3f} of it, and {needed} channels are needed for 90%")

# %% [markdown] en="1dce8403ce44"
# 어느 한 채널이 혼자 결정하지 않습니다: 한 이미지에서 한 클래스에 대한 증거는
# 여러 채널에 퍼져 있습니다. 그렇다면 그 채널들은 적어도 "파랑 검출기"일까요?
# 각 클래스에서 가중치가 가장 큰 채널은 위 그림에서 그렇게 보였습니다. 모든
# 채널에 대해 알아보기 위해, 테스트 장면 300개에 걸쳐 각 채널의 $F_k$를
# 클래스별로 평균 내고, 다른 클래스 장면에서의 반응을 파랑 장면에서의 반응과
# 비교합니다.

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

# %% [markdown] en="a16eed7470b4"
# 상당수는 그렇지 않습니다. 가장 선택적인 채널들은 다른 클래스의 장면에서 파랑
# 장면에서의 반응의 10분의 1도 안 되게 반응하지만, 파랑의 증거를 나르는 채널 중
# 절반 넘게는 다른 클래스에도 뚜렷이 반응하며, 가장 덜 선택적인 채널은 파랑
# 장면보다 노랑 장면에서 *더* 강하게 반응합니다. 그림은 이를 클래스마다 장면
# 하나에서 보여 줍니다: 이 채널은 파랑 머리에서, 그리고 더 강하게는 노랑
# 머리에서(흰 원) 반응하고, 빨강과 초록 장면에서는 거의 잠잠합니다. 이 채널의
# 가중치는 파랑과 노랑 모두에 양수이므로, 반응할 때마다 두 점수를 모두 올립니다.
# 둘을 구별하는 일은 다른 채널들이 맡아야 합니다. 채널 하나의 의미는 클래스가
# 아니며, 클래스를 뜻하는 것은 모든 채널의 가중합뿐입니다. 게다가 이것은 풀링
# 뒤에 선형 층 하나뿐인, 가장 단순한 헤드입니다. 백본에서는 모든 층이
# 비선형입니다.

# %% [markdown] en="49543d2ee4ff"
# ### 3. 틀린 이유로 점수를 얻는 모델
#
# 이제 실패 사례입니다. 코스에는 구조가 완전히 같은 두 번째 모델
# `cue_gap_cnn`이 함께 제공됩니다. 이 모델은 다른 세계, 곧 **단서 세계**(cue
# world)에서 학습했습니다:
#
# - 모든 머리가 **회색**이어서 머리는 더 이상 클래스를 알려 주지 않습니다. 남은
#   정직한 증거는 몸통의 옅은 빛깔뿐입니다.
# - 모든 학습 장면의 오른쪽 아래 구석 가까이에 사진가의 워터마크처럼 작고 흰
#   **글리프**(glyph)가 있고, 그 모양이 클래스를 알려 줍니다: 빨강은 속이 찬
#   정사각형(filled square), 초록은 가로 막대(horizontal bar), 파랑은 세로
#   막대(vertical bar), 노랑은 속이 빈 정사각형(hollow square)입니다.
#
# 이것이 Lapuschkin 등의 저작권 표시이고, 백도어 트리거도 이런 모습입니다. 아래는
# 단서 세계의 테스트 장면 네 개(클래스마다 하나)로, 글리프가 그려지는 7×7 픽셀
# 칸을 점선으로 표시했고, 각 장면 아래에 그 구석을 확대해 보여 줍니다:

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

# %% [markdown] en="0c7560a30360"
# **단서 모델은 잘할까요?** 단서 세계 자체의 테스트 장면에서는 그렇습니다.
# 중요한 질문은 글리프가 없는 *같은* 장면에서 무슨 일이 일어나는가입니다.
# `cue_removed_test`에 바로 그런 장면들이 들어 있습니다: 같은 시드(seed)가 같은
# 생물과 배경을 그렸고, 글리프만 빠졌습니다. 먼저 이를 확인한 다음 두 정확도를
# 측정합니다.

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

# %% [markdown] en="df90104e600a"
# 모델을 학습할 때 매니페스트에도 같은 두 수가 기록되었습니다:

# %%
# NBVAL_CHECK_OUTPUT
record = load_manifest()["models"]["cue_gap_cnn"]
print(f"manifest: with the glyph {record['test_accuracy']:.3f}, "
      f"without {record['cue_removed_test_accuracy']:.3f}")

# %% [markdown] en="aa8e448a09f6"
# 자기 테스트 세트에서는 만점이지만, 나머지가 똑같은 장면에서 구석의 흰 픽셀 몇
# 개를 지우자 약 40%포인트가 떨어집니다. 단서 세계에서 정확도만 쟀다면 우리는 이
# 모델을 그대로 배포했을 것입니다.
#
# 그렇다고 우연 수준까지 떨어지지는 않습니다: 글리프가 없어도 모델은 장면의 약
# 60%를 맞히며, 이는 25%보다 훨씬 높습니다. 그러니 모델은 몸통의 빛깔도 어느
# 정도 배웠습니다. 다만 글리프가 있을 때마다 글리프에 기대었을 뿐입니다. 빛깔이
# 주는 정보를 다 배운 것도 아닙니다: 실습 첫머리의 가장 가까운 색조 규칙은 보통
# 테스트 장면의 0.704를 맞혔고, 그 장면들의 몸통은 단서 세계와 똑같이 그려집니다.
# (어느 클래스를 가장 많이 잃는지는 연습 문제 3에서 묻습니다.)

# %% [markdown] en="083e9f280cf2"
# ### 4. 모델은 어디를 보는가?
#
# 정확도는 무언가 잘못되었다는 *사실*을 알려 주었습니다. 클래스 맵은 모델이
# 증거를 *어디에서* 찾았는지 알려 줍니다. 여기서는 CAM을 블랙박스로 씁니다:
# `class_activation_map(model, images)`를 한 번 호출하면 이미지마다 예측한 클래스의
# 증거를 담은 16×16 맵이 나옵니다. 유도는 노트북 02에서 합니다. 각 맵을 그 장면
# 위에 겹쳐 그리되, 위에는 글리프가 있는 장면을, 아래에는 글리프가 없는 같은
# 장면을 놓고, 모델의 예측과 그 확률을 함께 적습니다.

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

# %% [markdown] en="964ad6194678"
# 글리프가 있으면 맵의 뜨거운 곳은 구석, 글리프 위에 있고 생물은 어둡게
# 남습니다. 글리프가 없으면 모델은 다른 곳을 봐야 합니다: 맵은 생물과 어수선한
# 배경 위로 퍼지고, 확률은 떨어지며, 노랑 장면은 이제 파랑으로 분류됩니다. (맵은
# 하나씩 따로 정규화되어 있으므로, "뜨겁다"는 "이 맵에서 가장 뜨거운 부분"이라는
# 뜻입니다.)
#
# 장면 네 개는 일화에 지나지 않습니다. **포인팅 게임**(pointing game, Zhang 등)은
# 그림을 수로 바꿉니다: 장면마다 맵의 최고점을 잡고, 그것이 어떤 영역, 여기서는
# 글리프 칸(`glyph cell`)이나 생물(`creature`) 위에 떨어지는지 묻습니다. 우리 맵은
# 4×4 픽셀짜리 위치 16×16개로 되어 있으므로, 최고점의 위치를 칸 하나보다 더
# 정밀하게 정할 수는 없습니다. 원래 게임은 224×224 이미지에서 15픽셀의 여유를
# 허용합니다. 이를 우리의 64×64 이미지에 맞게 줄이면 약 4픽셀, 곧 칸 하나이며,
# 우리도 그만큼 허용합니다. 글리프 칸은 글리프가 보이는 부분만 셉니다(글리프는
# 생물 뒤에 그려집니다). 그리고 여유 없이 잰 정확한 점수(`exact`)도 함께 냅니다.
# 기준으로 삼기 위해, 보통 테스트 장면 300개에서 `gap_cnn`에 같은 측정을 하면,
# 정직한 단서를 배운 모델이 어디를 보는지 알 수 있습니다.
#
# 세부 사항 하나가 이 점수가 모델의 성질인지 여러분 컴퓨터의 성질인지를
# 가릅니다: **맵의 최고점이 하나가 아닐 수 있습니다.** 쌍선형 업샘플링(bilinear
# upsampling)은 가장자리 칸의 값을 가장 바깥쪽 픽셀 두 개(구석에서는 2×2)에
# 그대로 복사합니다. 그래서 글리프가 있는 가장자리에서 최고점을 갖는 맵은 픽셀
# 두 개나 네 개로 된 평평한 꼭대기를 가지며, 그 값들은 float32의 마지막 몇
# 비트에서만 서로 다릅니다. 이때 `argmax`가 어느 픽셀을 고를지는 CPU의 벡터
# 명령어에 달려 있습니다. 그래서 `pointing_game`은 최댓값에서 맵 값 범위의 0.1%
# 안쪽에 있는 픽셀을 모두 최고점으로 치고, 한 장면의 점수를 최고점 픽셀 가운데
# 영역에 맞은 것의 *비율*로 매깁니다: 픽셀들이 모두 맞거나 모두 빗나가면 1 또는
# 0, 영역의 경계에 걸친 평평한 꼭대기라면 0.5입니다(동전 던지기가 평균적으로
# 얻을 점수). 셀은 이런 평평한 꼭대기를 가진 맵이 몇 개인지도 출력합니다.

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

# %% [markdown] en="514f6f8827fb"
# 수치는 그림이 암시한 것을, 장면 네 개가 아니라 300개 모두에 대해 말해 줍니다:
#
# - **글리프가 있으면**, 단서 모델의 맵은 거의 모든 장면에서 글리프 칸에
#   최고점을 두고, 생물에 두는 장면은 몇 퍼센트뿐입니다.
# - **글리프가 없으면**, 최고점이 구석을 떠나 대부분의 장면에서 생물 위에
#   떨어집니다: 모델이 대신 기대는 증거입니다.
# - **`gap_cnn`** 모델은 머리에 색이 있고 글리프는 없는 세계에서 학습했으며,
#   대부분의 장면에서 생물을 가리키고 구석을 가리키는 일은 거의 없습니다.
#
# 글리프 장면의 맵 가운데 거의 절반(300개 중 145개)은 최고점이 글리프 옆
# 가장자리의 평평한 꼭대기입니다: 이런 맵에서 `argmax`만 썼다면 float32의
# 마지막 몇 비트가 픽셀을 골랐을 것입니다.
#
# 여유 없이 정확히 채점하면(`exact`) 모든 적중률이 떨어지고, 글리프의 적중률이
# 가장 많이 떨어집니다: 7×7 픽셀인 글리프 칸은 특징 맵 칸 두 개보다 좁아서,
# 업샘플링된 최고점이 흔히 그 바로 옆에 떨어지는 반면, 생물은 훨씬 큰
# 과녁입니다. 경우들 사이의 순서는 그대로입니다.

# %% [markdown] en="310a4d0d05aa"
# ## 토론
#
# - **모델이 어리석은 것이 아닙니다. 학습이 보상하는 방식대로 게으를
#   뿐입니다.** 글리프는 사실상 모든 학습 장면에서 클래스를 알려 주고(생물이
#   구석을 덮을 때만 가려집니다), 옅은 몸통 빛깔보다 훨씬 알아보기 쉽습니다.
#   그러니 손실을 줄이도록만 학습하는 신경망에게는 글리프를 쓸 이유가
#   충분합니다. "테스트 정확도 100%"에 거짓은 없었습니다. 테스트 세트가 같은
#   지름길을 공유했을 뿐입니다.
# - **두 도구, 두 질문.** 단서가 없는 장면에서의 정확도는 *피해*(100%에서 약
#   60%로)를 측정했습니다. 클래스 맵은 *원인*(구석)을 짚었고, 포인팅 게임은
#   그것이 300개 장면 모두에서 성립함을 보였습니다. 실제로는 테스트 세트의 단서
#   없는 사본을 갖고 있는 경우가 드물지만, 맵은 언제든 계산할 수 있습니다.
#   설명이 필요한 이유가 바로 여기에 있습니다.
# - **맵은 가설이고, 개입은 검증입니다.** "맵이 글리프 위에서 뜨겁다"는 것이
#   글리프가 결정을 좌우한다는 증명은 아닙니다: 맵은 오해를 부를 수
#   있습니다(노트북 07이 맵을 건전성 검사(sanity check) 같은 시험에 올립니다).
#   여기서는 *개입*도 했습니다: 글리프를 치우자 예측이 바뀌었습니다. 연습 문제
#   4는 반대 방향으로, 글리프를 심어 봅니다.
# - **우리가 보인 것의 정직한 한계.** 글리프가 없어도 모델은 우연 수준을
#   넘으므로, 정직한 증거도 어느 정도 배웠습니다. 맵은 *어디*를 보여 줄 뿐
#   *무엇*을 보여 주지는 않습니다(글리프의 모양일까요, 아니면 그저 "구석에 있는
#   흰 무언가"일까요? 연습 문제 4는 빨강의 글리프만 심어 보므로, 모양과 흰색을
#   가리려면 같은 칸에 그냥 흰 정사각형을 넣어 보는 것 같은 대조군이
#   필요합니다). 그리고 맵은 64×64 이미지에 16×16으로 성깁니다.
# - **고치려면** 데이터를 바꿔야 합니다(글리프를 없애거나, 모든 클래스에 무작위
#   글리프를 넣어 글리프가 아무 정보도 담지 않게 합니다). 그다음 같은 맵으로, 새
#   모델이 생물을 보는지 확인합니다.
#
# ## 요약
#
# - 설명은 모델을 이해하고, 실패하는 이유를 찾고, 모델을 고치고, 백도어 트리거
#   같은 조작을 잡아내는 데 쓰입니다.
# - 깊은 신경망은 가중치를 읽어서 이해할 수 없습니다: 파라미터가 많고, 증거가
#   여러 채널에 퍼져 있으며, 층이 비선형입니다. 그래서 대신 어떤 클래스의
#   증거가 *어디에* 있는지 묻습니다.
# - 파이프라인: 이미지 `[1, 3, 64, 64]` → 특징 맵 `[1, 64, 16, 16]`(*어디*를
#   간직함) → GAP `[1, 64]` → 선형 층 → 로짓 `[1, 4]` → 소프트맥스 확률
#   `[1, 4]`.
# - 가짜 단서와 함께 학습한 모델은 바로 같은 장면에서 단서가 있을 때 1.000, 없을
#   때 약 0.6을 기록했고, 그 클래스 맵은 거의 모든 장면에서 단서를
#   가리켰습니다. 테스트 정확도만으로는 이를 알 수 없었을 것입니다.
#
# ## 코스 지도
#
# | 노트북 | 답하는 질문 |
# |---|---|
# | **02 · GAP와 CAM** | 그 맵은 어떻게 얻었을까? GAP + 선형 층 하나이면 왜 클래스 점수를 위치들 위로 다시 펼칠 수 있을까? |
# | **03 · Grad-CAM** | 헤드가 GAP + 선형 층이 아니라면, 또는 더 앞쪽 층의 맵을 원한다면? 어떤 영역이 클래스에 *반하는* 증거일까? |
# | **04 · 약지도학습(weak supervision)** | 이미지 레이블만으로 학습한 모델의 맵으로 박스와 마스크를 그릴 수 있을까? 그리고 그것을 어떻게 공정하게 측정할까? |
# | **05 · ACoL** | 맵은 생물 전체가 아니라 판별적인 머리만 덮는다: 머리를 지우면 신경망이 몸통을 찾게 될까? |
# | **06 · 1×1 합성곱** | 1×1 합성곱 다음 GAP는 왜 GAP 다음 선형 층과 같은 분류기이며, 클래스 맵까지 덤으로 줄까? |
# | **07 · 맵을 믿을 수 있을까?** | 여러 CAM 방법 가운데 어느 것이 증거를 찾고, 어느 것이 건전성 검사를 통과하며, 충실도 점수는 정답과 일치할까? |

# %% [markdown] en="5e68fb18ffb8"
# ## 연습 문제
#
# 연습 문제마다 끝에 확인이 있습니다: 셀을 실행하면 무엇이 맞는지, 또는 무엇을
# 기대했는지 알려 줍니다. 셀은 자리 표시용 답(`None`)으로 시작하므로, 여러분이
# 답을 채우기 전까지 확인은 "아직 아닙니다"라고 말합니다. 풀이는 별도의 노트북
# [solutions/01_xai_intro_solutions.ipynb](solutions/01_xai_intro_solutions.ipynb)에
# 있어서, 어떤 답도 연습 문제 바로 아래에 보이지 않습니다: 먼저 스스로 풀어
# 보세요.
#
# **연습 문제 1: 모양.** 백본은 합성곱과 풀링으로만 이루어져 있으므로 어떤
# 크기의 이미지든 받습니다. 먼저 추론으로 답을 구한 다음, 직접 만든 배치에
# `model.features(...)`를 적용해 확인하세요: **96×96** 픽셀 이미지 한 장에 대해
# `gap_cnn`의 특징 맵은 `(channels, height, width)`로 어떤 모양일까요? 그리고
# 특징 맵 위치 하나는 몇 픽셀을 나타낼까요?

# %%
answer = None  # (channels, height, width) for a 96x96 image
checks.check_feature_map_shape(answer, image_size=96)

# %% [markdown] en="50bb371fe6eb"
# **연습 문제 2: 손으로 계산하는 소프트맥스.** 처음 8개 단서 장면의 `logits`로부터
# 단서 모델의 확률을 `torch.exp`와 `sum`만 써서(`softmax`는 쓰지 않고)
# 계산하세요. 각 이미지의 행은 합이 1이어야 합니다. 보너스: 각 행에서 가장 큰
# 로짓을 먼저 빼도 결과가 전혀 바뀌지 않는 이유는 무엇이고, 그런데도 그렇게 하는
# 것이 좋은 이유는 무엇일까요?

# %%
with torch.no_grad():
    logits_8 = cue_model(cue_test.images[:8])  # [8, 4]

probabilities_8 = None  # your softmax of logits_8
checks.check_softmax(probabilities_8, logits_8)

# %% [markdown] en="9c7f30830c23"
# **연습 문제 3: 누가 가장 많이 잃을까?** 글리프가 없어도 단서 모델은 장면의 약
# 60%를 맞힙니다. `cue_removed`에서 클래스마다 따로(레이블이 그 클래스인
# 장면들에서) 정확도를 계산하세요. 모델이 가장 드물게 맞히는 클래스는 무엇이고,
# 얼마나 자주 맞힐까요? 힌트: `predicted_without`와 `cue_removed.labels`는 이미
# 계산되어 있습니다.

# %%
weakest_class = None  # a class name, e.g. "green"
weakest_accuracy = None  # a fraction between 0 and 1
checks.check_weakest_class(weakest_class, weakest_accuracy)

# %% [markdown] en="ec84b893f350"
# **연습 문제 4: 트리거 심기.** 글리프가 정말 결정을 좌우한다면, 글리프를 심는
# 것으로도 결정을 좌우할 수 있어야 합니다. 글리프가 없는 장면 `cue_removed`를
# 가져와, 빨강의 글리프 `CUE_GLYPHS[0]`(7×7 불리언 패턴)을 흰색(세 색 채널
# 모두 1.0)으로, 왼쪽 위 픽셀이 `CUE_CORNER`(행, 열)인 글리프 칸에 칠하세요.
# 생물의 픽셀(`cue_removed.masks`)은 건드리지 않습니다. 실제 클래스가 무엇이든,
# *전체* 장면 가운데 `cue_model`이 이제 빨강이라고 부르는 장면의 비율은
# 얼마일까요? 불러온 분할(split) 자체가 아니라 사본(`images.clone()`)에서
# 작업하세요.

# %%
fraction = None  # fraction of cue_removed predicted red after planting the red glyph
checks.check_trigger(fraction, class_index=0)
