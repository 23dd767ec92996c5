"""``ember.models``: a model zoo built only from ``ember.nn`` layers and ``F.*`` functions.

One family per module; every model documents its input and output shapes.
"""

from ember.models.autoencoder import Autoencoder, ConvAutoencoder, MLPAutoencoder
from ember.models.collab import EmbeddingDotBias
from ember.models.dcgan import Discriminator, Generator
from ember.models.lenet import LeNet5
from ember.models.mlp import MLP, LogisticRegression
from ember.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet20,
    resnet34,
    resnet50,
)
from ember.models.sequence import GRUClassifier, LSTMClassifier, TransformerClassifier
from ember.models.stylegan2 import (
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    discriminator_loss,
    generator_loss,
    r1_penalty,
)
from ember.models.tabular import TabularModel
from ember.models.unet import FCN, FCNHead, UNet
from ember.models.vae import VAE, kl_divergence
from ember.models.vgg import VGG, vgg11, vgg13, vgg16, vgg19, vgg_cifar_small

__all__ = [
    "FCN",
    "MLP",
    "VAE",
    "VGG",
    "Autoencoder",
    "BasicBlock",
    "Bottleneck",
    "ConvAutoencoder",
    "Discriminator",
    "EmbeddingDotBias",
    "FCNHead",
    "GRUClassifier",
    "Generator",
    "LSTMClassifier",
    "LeNet5",
    "LogisticRegression",
    "MLPAutoencoder",
    "ResNet",
    "StyleGAN2Discriminator",
    "StyleGAN2Generator",
    "TabularModel",
    "TransformerClassifier",
    "UNet",
    "discriminator_loss",
    "generator_loss",
    "kl_divergence",
    "r1_penalty",
    "resnet18",
    "resnet20",
    "resnet34",
    "resnet50",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "vgg_cifar_small",
]
