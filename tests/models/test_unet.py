import pytest

import ember
from ember import nn
from ember.models import FCN, FCNHead, UNet
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


@pytest.mark.parametrize("bilinear", [False, True])
def test_unet_output_keeps_input_size(bilinear):
    m = UNet(in_channels=1, num_classes=3, depth=2, width=4, bilinear=bilinear)
    assert m(ember.randn(1, 1, 16, 16)).shape == (1, 3, 16, 16)
    # sizes not divisible by 2**depth are resized back at each skip connection
    assert m(ember.randn(1, 1, 17, 19)).shape == (1, 3, 17, 19)
    assert len(m.down) == 2 and len(m.up) == 2
    assert m.down[-1][0].out_channels == 16  # width * 2**depth at the bottom


def test_unet_training_step():
    ember.manual_seed(0)
    m = UNet(in_channels=1, num_classes=2, depth=2, width=4)
    x, y = ember.randn(2, 1, 16, 16), ember.randint(0, 2, (2, 16, 16))
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.1)


def test_unet_errors():
    m = UNet(in_channels=3, depth=3, width=2)
    with pytest.raises(ValueError, match=r"UNet\(in_channels=3\): expected input"):
        m(ember.randn(1, 1, 16, 16))
    with pytest.raises(ValueError, match="at least 8"):
        m(ember.randn(1, 3, 4, 16))


def test_fcn_head_and_fcn():
    ember.manual_seed(0)
    head = FCNHead(16, 3)
    assert head[0].out_channels == 4  # in_channels // 4, as in torchvision
    assert head(ember.randn(2, 16, 4, 4)).shape == (2, 3, 4, 4)
    backbone = nn.Sequential(nn.Conv2d(1, 16, 3, stride=4, padding=1), nn.ReLU())
    m = FCN(backbone, head)
    x, y = ember.randn(2, 1, 16, 16), ember.randint(0, 3, (2, 16, 16))
    assert m(x).shape == (2, 3, 16, 16)
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.1)
