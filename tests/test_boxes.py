"""The small pieces of course_utils.boxes that the metrics are built from."""

import torch

from course_utils.boxes import NO_BOX, best_iou_per_image, box_iou, component_boxes, largest_of_each_image


def test_best_iou_per_image_takes_each_images_best_box_and_zero_for_an_image_without_one():
    gt = torch.tensor([[0, 0, 4, 4], [4, 4, 8, 8], [0, 0, 8, 8]])
    pred = torch.tensor([[0, 0, 2, 2], [0, 0, 4, 4], [4, 4, 6, 8]])
    image = torch.tensor([0, 0, 1])  # image 2 has no box
    best = best_iou_per_image(pred, image, gt)
    assert best.dtype == torch.float64
    assert best.tolist() == [1.0, 0.5, 0.0]
    # The same as the IoU of every box with its own image's box, maximised by hand.
    assert best[0] == max(box_iou(pred[:2], gt[0]).tolist())


def test_best_iou_of_the_no_box_is_zero():
    assert best_iou_per_image(torch.tensor([NO_BOX]), torch.tensor([0]), torch.tensor([[0, 0, 4, 4]])).item() == 0


def test_largest_of_each_image_indexes_component_boxes():
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[0, 0, 0] = masks[0, 4:7, 4:7] = True  # a dot, then a 3x3 square
    masks[1, 2:4, 0:2] = True
    boxes, sizes, image = component_boxes(masks)
    keep = largest_of_each_image(sizes, image, 2)
    assert boxes[keep].tolist() == [[4, 4, 7, 7], [0, 2, 2, 4]]
