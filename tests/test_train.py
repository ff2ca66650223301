"""Training: seeded, and a short run reaches the course's accuracy target."""

import torch

from course_utils.models import ACoL
from course_utils.scenes import make_scenes
from course_utils.train import TrainConfig, accuracy, build_model, loss_fn, train


def test_same_config_trains_to_the_same_weights():
    scenes = make_scenes(128, seed=11)
    config = TrainConfig("GapCNN", n_train=128, epochs=1, batch_size=32)
    first, second = build_model(config), build_model(config)
    train(first, scenes, config, progress=False)
    train(second, scenes, config, progress=False)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_acol_loss_is_the_sum_of_both_classifiers_cross_entropies():
    torch.manual_seed(0)
    model = ACoL(delta=0.6)
    scenes = make_scenes(8, seed=2)
    loss, logits = loss_fn(model, scenes.images, scenes.labels)
    out = model.run(scenes.images, scenes.labels)
    ce = torch.nn.functional.cross_entropy
    torch.testing.assert_close(loss, ce(out.logits_a, scenes.labels) + ce(out.logits_b, scenes.labels))
    torch.testing.assert_close(logits, (out.logits_a + out.logits_b) / 2)


def test_a_short_training_run_reaches_95_percent_on_unseen_scenes():
    config = TrainConfig("GapCNN", n_train=2000, epochs=3)
    model = build_model(config)
    losses = train(model, make_scenes(config.n_train, seed=21), config, progress=False)
    assert losses[-1] < losses[0]
    assert accuracy(model, make_scenes(400, seed=22)) >= 0.95
