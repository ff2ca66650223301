"""Tests for course_utils.hooks: the machinery under the explanation methods, and the names in its errors."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from course_utils import cam, hooks
from course_utils.hooks import eval_mode, read_layer
from course_utils.models import GapCNN
from course_utils.train import predict

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def model() -> GapCNN:
    torch.manual_seed(0)
    return GapCNN()


@pytest.fixture
def images() -> Tensor:
    return torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))


def training_with_a_frozen_batch_norm(model: nn.Module) -> dict[str, bool]:
    model.train()
    model.features[0][1].eval()
    assert isinstance(model.features[0][1], nn.BatchNorm2d)
    return {name: m.training for name, m in model.named_modules()}


def forward_hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


def test_eval_mode_gives_each_module_its_own_flag_back(model):
    flags = training_with_a_frozen_batch_norm(model)
    with eval_mode(model) as inside:
        assert inside is model and not any(m.training for m in model.modules())
    assert {name: m.training for name, m in model.named_modules()} == flags
    # model.train(True) would have unfrozen the batch norm; eval_mode must not.
    assert not model.features[0][1].training


def test_eval_mode_restores_the_flags_after_an_exception(model):
    flags = training_with_a_frozen_batch_norm(model)
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        raise RuntimeError("boom")
    assert {name: m.training for name, m in model.named_modules()} == flags


def test_hooks_are_removed_after_an_exception_inside(model, images):
    with pytest.raises(RuntimeError, match="inside"), hooks.hooks() as handles:
        handles.append(model.features.register_forward_hook(lambda m, i, out: None))
        handles.append(model.fc.register_forward_hook(lambda m, i, out: None))
        assert forward_hook_count(model) == 2
        raise RuntimeError("inside")
    assert forward_hook_count(model) == 0


class FailsInTheHead(GapCNN):
    """Its head raises after the backbone ran: while the methods' hooks are registered."""

    def forward(self, images: Tensor) -> Tensor:
        self.features(images)
        raise RuntimeError("head failed")


@pytest.mark.parametrize("explain", [cam.grad_cam, cam.counterfactual_grad_cam, cam.guided_grad_cam])
def test_a_method_removes_its_hooks_when_the_model_raises(explain, images):
    model = FailsInTheHead()
    with pytest.raises(RuntimeError, match="head failed"):
        explain(model, model.features, images)
    assert forward_hook_count(model) == 0 and torch.is_grad_enabled()


def test_read_layer_reads_the_activation_and_the_gradient_to_the_layer(model, images):
    model.eval()
    reading = read_layer(model, model.features, images, [1, 2], method="grad_cam")
    activation = model.features(images).detach().requires_grad_(True)
    scores = model.fc(model.pool(activation).flatten(1))
    (expected,) = torch.autograd.grad(scores[[0, 1], [1, 2]].sum(), activation)
    torch.testing.assert_close(reading.activation, activation.detach())
    torch.testing.assert_close(reading.gradient, expected)
    assert reading.classes.tolist() == [1, 2] and not reading.activation.requires_grad


def test_read_layer_differentiates_nothing_before_the_layer(model, images):
    # The backward pass stops at the layer: the first block's parameters are never reached.
    seen = []
    model.features[0].register_full_backward_hook(lambda m, gi, go: seen.append(m))
    read_layer(model, model.features[-1], images, None, method="grad_cam")
    assert seen == [] and all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m, x: cam.grad_cam(m, m.fc, x), "grad_cam"),
        (lambda m, x: cam.counterfactual_grad_cam(m, m.fc, x), "counterfactual_grad_cam"),
        (lambda m, x: cam.guided_grad_cam(m, m.fc, x), "guided_grad_cam"),
    ],
)
def test_the_feature_map_error_names_the_method_called(call, name, model, images):
    with pytest.raises(ValueError) as caught:
        call(model, images)
    assert str(caught.value) == f"{name} needs a layer whose output is feature maps [N, K, h, w]; Linear gives (2, 4)"


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m, x: cam.class_activation_map(m, x, 9), "class_activation_map"),
        (lambda m, x: cam.grad_cam(m, m.features, x, 9), "grad_cam"),
        (lambda m, x: cam.counterfactual_grad_cam(m, m.features, x, 9), "counterfactual_grad_cam"),
        (lambda m, x: cam.guided_backprop(m, x, 9), "guided_backprop"),
        (lambda m, x: cam.guided_grad_cam(m, m.features, x, 9), "guided_grad_cam"),
        (lambda m, x: cam.occlusion_map(m, x, 9), "occlusion_map"),
    ],
)
def test_every_method_names_itself_in_a_shared_check(call, name, model, images):
    with pytest.raises(ValueError, match=rf"^{name}'s target: class index 9 is out of range"):
        call(model, images)
    with pytest.raises(ValueError, match=rf"^{name} expected a batch of images"):
        call(model, images[0])


def test_guided_backprop_without_relus_names_the_method(images):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with pytest.raises(ValueError, match="^guided_backprop needs nn.ReLU modules"):
        cam.guided_backprop(model, images)


def test_predict_restores_every_flag_and_builds_no_graph(model, images):
    flags = training_with_a_frozen_batch_norm(model)
    graph = []
    model.fc.register_forward_hook(lambda m, i, out: graph.append(out.requires_grad))
    predicted = predict(model, images, batch_size=1)
    assert predicted.shape == (2,) and graph == [False, False]
    assert {name: m.training for name, m in model.named_modules()} == flags


def test_no_private_name_crosses_a_module():
    import ast
    from pathlib import Path

    package = Path(cam.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"
