import pytest

import ember
from ember import nn
from ember.models import VGG, LeNet5, vgg11, vgg_cifar_small
from ember.models.vgg import CFGS, make_vgg_layers
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss, count_params


@pytest.mark.parametrize(("size", "padding"), [(28, 2), (32, 0)])
def test_lenet5_shapes(size, padding):
    m = LeNet5(num_classes=7, input_size=size, padding=padding)
    assert m(ember.randn(2, 1, size, size)).shape == (2, 7)
    # the classic LeNet-5 has 16 * 5 * 5 features before the first linear layer
    assert m.classifier[1].in_features == 400


def test_lenet5_training_and_errors():
    ember.manual_seed(0)
    m = LeNet5(activation="relu", pooling="max")
    x, y = ember.randn(4, 1, 28, 28), ember.randint(0, 10, (4,))
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.05)
    with pytest.raises(ValueError, match=r"LeNet5: expected input of shape \(N, 1, 28, 28\)"):
        m(ember.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="pooling"):
        LeNet5(pooling="lp")


def test_vgg_cifar_small_shape_and_training():
    ember.manual_seed(0)
    m = vgg_cifar_small(num_classes=5, width=4)
    x, y = ember.randn(4, 3, 16, 16), ember.randint(0, 5, (4,))
    assert m(x).shape == (4, 5)
    assert isinstance(m.classifier[-1], nn.Linear) and m.classifier[-1].in_features == 16
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.05)


def test_vgg_configurable_cfg():
    m = VGG([4, "M", 8, "M"], num_classes=3, in_channels=1, hidden_features=6, pool_size=2)
    assert m(ember.randn(2, 1, 8, 8)).shape == (2, 3)
    assert m.classifier[0].in_features == 8 * 2 * 2
    assert VGG.cifar([4, "M"], num_classes=2)(ember.randn(1, 3, 4, 4)).shape == (1, 2)
    with pytest.raises(ValueError, match="cfg entries"):
        VGG([4, "X"])


def test_vgg_feature_parameter_counts():
    # torchvision's vgg16().features has 14,714,688 parameters, vgg16_bn().features 14,723,136
    assert count_params(make_vgg_layers(CFGS["D"])) == 14_714_688
    assert count_params(make_vgg_layers(CFGS["D"], batch_norm=True)) == 14_723_136


@pytest.mark.slow
def test_vgg_torchvision_parameter_counts():
    # builds the full 133M-parameter model (init skipped: only counting); vgg11_bn differs
    # only in its features (132,868,840 = this + 2 per conv channel), checked above
    assert count_params(vgg11(init_weights=False)) == 132_863_336
