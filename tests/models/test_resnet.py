import numpy as np
import pytest

import ember
from ember.models import Bottleneck, ResNet, resnet18, resnet20, resnet34, resnet50
from ember.models.resnet import BasicBlock, PadShortcut
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss, count_params


@pytest.mark.parametrize(
    ("factory", "expected"),
    [(resnet18, 11_689_512), (resnet34, 21_797_672), (resnet50, 25_557_032)],
)
def test_torchvision_parameter_counts(factory, expected):
    assert count_params(factory(num_classes=1000)) == expected


def test_torchvision_state_dict_names():
    # torchvision's names, on a narrow model with resnet50's block type
    keys = set(ResNet(Bottleneck, [1, 1, 1, 3], widths=(2, 2, 2, 2)).state_dict())
    for name in (
        "conv1.weight", "bn1.running_var", "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.num_batches_tracked", "layer4.2.conv3.weight",
        "layer4.2.bn3.bias", "fc.weight", "fc.bias",
    ):  # fmt: skip
        assert name in keys


def test_resnet20_shape_params_and_training():
    ember.manual_seed(0)
    m = resnet20(num_classes=10)
    assert count_params(m) == 269_722  # option A: parameter-free shortcuts
    assert count_params(resnet20(shortcut="B")) == 272_474
    assert isinstance(m.layer2[0].downsample, PadShortcut)
    assert not hasattr(m, "layer4")
    x, y = ember.randn(2, 3, 16, 16), ember.randint(0, 10, (2,))
    assert m(x).shape == (2, 10)
    assert m.forward_features(x).shape == (2, 64, 4, 4)
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.05)


def test_option_a_shortcut_subsamples_and_zero_pads():
    x = ember.randn(2, 3, 5, 5)
    out = PadShortcut(3, 5, 2)(x)
    assert out.shape == (2, 5, 3, 3)
    np.testing.assert_array_equal(out[:, :3].numpy(), x.numpy()[:, :, ::2, ::2])
    assert out[:, 3:].abs().sum().item() == 0


def test_imagenet_stem_small_forward_and_training():
    ember.manual_seed(0)
    m = ResNet(Bottleneck, [1, 1], num_classes=4, widths=(4, 8))
    x, y = ember.randn(2, 3, 32, 32), ember.randint(0, 4, (2,))
    assert m(x).shape == (2, 4)
    assert m.forward_features(x).shape == (2, 32, 4, 4)  # /2 conv, /2 pool, /2 stage 2
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.05)


def test_zero_init_residual_makes_blocks_identity():
    m = ResNet(BasicBlock, [1], widths=(4,), zero_init_residual=True, stem="cifar")
    block = m.layer1[0]
    assert block.bn2.weight.abs().sum().item() == 0
    x = ember.rand(2, 4, 6, 6)  # nonnegative: relu(0 + x) == x
    np.testing.assert_allclose(block(x).detach().numpy(), x.numpy(), atol=1e-6)


def test_resnet_errors():
    with pytest.raises(ValueError, match="ResNet: layers and widths"):
        ResNet(BasicBlock, [2, 2], widths=(4,))
    with pytest.raises(ValueError, match="shortcut"):
        resnet20(shortcut="C")
