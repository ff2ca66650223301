"""Self-checks for notebook 07, "Can you trust a map?".

=====================================  ==============================================================
check                                  exercise
=====================================  ==============================================================
:func:`check_gap_grad_cam_factor`      the constant between Grad-CAM and ReLU(CAM) on ``gap_cnn``
:func:`check_forward_passes`           forward passes Score-CAM needs for a batch of images
=====================================  ==============================================================
"""

from __future__ import annotations

from course_checks import Feedback, as_number, right, wrong
from course_utils.language import tr


def check_gap_grad_cam_factor(factor: object, *, height: int = 16, width: int = 16) -> Feedback:
    """Exercise 1: ReLU(CAM) = factor x Grad-CAM on a GAP + linear head, feature maps ``height x width``."""
    expected = height * width
    if factor is None:
        return wrong(tr("Set `factor` to the number that Grad-CAM's map must be multiplied by to give ReLU(CAM)"))
    value = as_number(factor)
    if value is None:
        return wrong(tr("`factor` should be a number, got {type}").format(type=type(factor).__name__))
    if abs(value - expected) <= 1e-6 * expected:
        return right(tr(
            "hw = {height} x {width} = {expected}. GAP divides by the number of positions, so the gradient of "
            "S_c with respect to A^k_ij is w_k^c / {expected} at every position: Grad-CAM's weight is CAM's "
            "divided by {expected}, and after the ReLU the maps differ by that constant only."
        ).format(height=height, width=width, expected=expected))
    if abs(value - 1 / expected) <= 1e-6:
        message = tr("{value:g} is the other way round: Grad-CAM = ReLU(CAM) / {expected}, so ReLU(CAM) = "
                     "{expected} x Grad-CAM")
        return wrong(message.format(value=value, expected=expected))
    message = tr("expected {expected}: the number of positions hw of the {height}x{width} feature maps, by which "
                 "GAP divides (you said {value:g})")
    return wrong(message.format(expected=expected, height=height, width=width, value=value))


def check_forward_passes(passes: object, *, images: int = 10, channels: int = 64) -> Feedback:
    """Exercise 2: forward passes of Score-CAM for ``images`` images on a layer of ``channels`` channels."""
    expected = images * (channels + 1)
    if passes is None:
        return wrong(tr("Set `passes` to a whole number of forward passes (one image through the model is one)"))
    value = as_number(passes)
    if value is None:
        return wrong(tr("`passes` should be a number, got {type}").format(type=type(passes).__name__))
    if value == expected:
        return right(tr(
            "{images} x ({channels} + 1) = {expected}: one pass per image for the activations, then one per "
            "channel and image for the masked copies. Batching changes how many calls, not how many passes."
        ).format(images=images, channels=channels, expected=expected))
    if value == images * channels:
        message = tr("{value:.0f} counts the masked copies only: each image also needs one pass to read its "
                     "activations, so {expected}")
        return wrong(message.format(value=value, expected=expected))
    if value == channels + 1:
        message = tr("that is one image's count; for {images} images: {expected}")
        return wrong(message.format(images=images, expected=expected))
    message = tr("expected {images} x ({channels} + 1) = {expected} (you said {value:g})")
    return wrong(message.format(images=images, channels=channels, expected=expected, value=value))
