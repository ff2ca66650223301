"""Explaining many times in one kernel keeps memory flat: no hooks, tensors or gradients left behind.

A learner drags a slider or loops over scenes, and every call computes an
explanation again. If a call left one forward hook on the model, or kept
one tensor alive (in a hook's closure, a module attribute, a ``.grad``),
a thousand calls would leave a thousand. These tests count what a call
could leave behind, before and after 1,000 Grad-CAM calls.
"""

from __future__ import annotations

import gc
import os

import pytest
import torch
from torch import nn

from course_utils.cam import class_activation_map, grad_cam, guided_grad_cam
from course_utils.models import GapCNN
from course_utils.scenes import make_scenes

pytestmark = pytest.mark.usefixtures("one_thread")

CALLS = 1000


def hook_count(model: nn.Module) -> int:
    """Every kind of hook that torch keeps on a module, summed over the model's modules."""
    kinds = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    return sum(len(getattr(module, kind, {})) for module in model.modules() for kind in kinds)


def live_tensors() -> int:
    gc.collect()
    # type(), not isinstance(): isinstance asks some lazy module objects for __class__, which warns.
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor))


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = GapCNN().eval()
    images = make_scenes(2, seed=1).images
    return model, images


def test_a_thousand_grad_cam_calls_leave_nothing_behind(setup):
    model, images = setup
    layer = model.features
    for _ in range(20):  # warm up: torch's allocator and caches reach their steady size
        grad_cam(model, layer, images)
    hooks, tensors, memory = hook_count(model), live_tensors(), resident_mb()
    first = grad_cam(model, layer, images)
    for i in range(CALLS):
        maps = grad_cam(model, layer, images, target=i % 4)
        assert hook_count(model) == hooks, f"call {i} left a hook on the model"
    del maps
    assert hook_count(model) == hooks == 0
    assert live_tensors() <= tensors + 1  # + first, still referenced here
    grown = resident_mb() - memory
    assert grown < 25, f"resident memory grew by {grown:.0f} MB over {CALLS} calls"
    assert all(p.grad is None for p in model.parameters()), "gradients accumulated on the model's weights"
    assert torch.is_grad_enabled() and not model.training
    assert torch.equal(grad_cam(model, layer, images), first), "repeated calls must give the same maps"


def test_other_explanations_leave_nothing_behind_either(setup):
    model, images = setup
    for explain in (lambda: class_activation_map(model, images), lambda: guided_grad_cam(model, model.features, images)):
        explain()
        hooks, tensors = hook_count(model), live_tensors()
        for _ in range(200):
            explain()
        assert hook_count(model) == hooks == 0
        assert live_tensors() <= tensors
        assert all(p.grad is None for p in model.parameters())


def test_the_counters_see_a_leak(setup):
    """The counters can fail: a deliberately leaked hook and tensors are seen."""
    model, _ = setup
    hooks, tensors = hook_count(model), live_tensors()
    kept = []
    handle = model.features.register_forward_hook(lambda module, inputs, output: kept.append(output))
    try:
        model(torch.rand(1, 3, 64, 64))
        assert hook_count(model) == hooks + 1
        assert live_tensors() > tensors
    finally:
        handle.remove()
    assert hook_count(model) == hooks
