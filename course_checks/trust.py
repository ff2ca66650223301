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


def check_gap_grad_cam_factor(factor: object, *, height: int = 16, width: int = 16) -> Feedback:
    """Exercise 1: ReLU(CAM) = factor x Grad-CAM on a GAP + linear head, feature maps ``height x width``."""
    expected = height * width
    if factor is None:
        return wrong("Set `factor` to the number that Grad-CAM's map must be multiplied by to give ReLU(CAM)")
    value = as_number(factor)
    if value is None:
        return wrong(f"`factor` should be a number, got {type(factor).__name__}")
    if abs(value - expected) <= 1e-6 * expected:
        return right(
            f"hw = {height} x {width} = {expected}. GAP divides by the number of positions, so the gradient of "
            f"S_c with respect to A^k_ij is w_k^c / {expected} at every position: Grad-CAM's weight is CAM's "
            f"divided by {expected}, and after the ReLU the maps differ by that constant only."
        )
    if abs(value - 1 / expected) <= 1e-6:
        return wrong(f"{value:g} is the other way round: Grad-CAM = ReLU(CAM) / {expected}, so ReLU(CAM) = "
                     f"{expected} x Grad-CAM")
    return wrong(f"expected {expected}: the number of positions hw of the {height}x{width} feature maps, by "
                 f"which GAP divides (you said {value:g})")


def check_forward_passes(passes: object, *, images: int = 10, channels: int = 64) -> Feedback:
    """Exercise 2: forward passes of Score-CAM for ``images`` images on a layer of ``channels`` channels."""
    expected = images * (channels + 1)
    if passes is None:
        return wrong("Set `passes` to a whole number of forward passes (one image through the model is one)")
    value = as_number(passes)
    if value is None:
        return wrong(f"`passes` should be a number, got {type(passes).__name__}")
    if value == expected:
        return right(
            f"{images} x ({channels} + 1) = {expected}: one pass per image for the activations, then one per "
            f"channel and image for the masked copies. Batching changes how many calls, not how many passes."
        )
    if value == images * channels:
        return wrong(f"{value:.0f} counts the masked copies only: each image also needs one pass to read its "
                     f"activations, so {expected}")
    if value == channels + 1:
        return wrong(f"that is one image's count; for {images} images: {expected}")
    return wrong(f"expected {images} x ({channels} + 1) = {expected} (you said {value:g})")
