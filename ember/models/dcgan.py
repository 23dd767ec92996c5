"""DCGAN (Radford et al., 2015) generator and discriminator for small square images."""

from __future__ import annotations

from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_image, check_positive

__all__ = ["Generator", "Discriminator", "dcgan_layout", "dcgan_init_"]


def dcgan_layout(image_size: int) -> tuple[int, int]:
    """``(start, n_up)`` with ``image_size == start * 2**n_up`` and ``start`` the first side <= 7.

    64 -> (4, 4), 32 -> (4, 3), 28 -> (7, 2), 8 -> (4, 1).
    """
    if image_size < 4:
        raise ValueError(f"DCGAN: image_size must be at least 4, got {image_size}")
    start, n_up = image_size, 0
    while start > 7 and start % 2 == 0:
        start //= 2
        n_up += 1
    if n_up == 0 or start > 7:
        raise ValueError(
            f"DCGAN: image_size must be (3..7) * 2**k with k >= 1 (e.g. 8, 28, 32, 64), "
            f"got {image_size}"
        )
    return start, n_up


def dcgan_init_(module: nn.Module) -> None:
    """The paper's init: conv weights ``N(0, 0.02)``, BatchNorm weight ``N(1, 0.02)``, bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """DCGAN generator: ``z`` -> transposed convs (BatchNorm + ReLU) doubling H, W -> tanh.

    The first transposed conv turns ``z`` (as a 1x1 map) into a ``start x start`` map with
    ``base_width * 2**(n_up - 1)`` channels; each following stage doubles the side and halves
    the channels; the last one outputs ``channels`` maps in ``[-1, 1]``.

    Args:
        latent_dim: size of z. Default: 100.
        image_size: output side, ``(3..7) * 2**k`` (8, 28, 32, 64, ...). Default: 64.
        channels: image channels. Default: 3.
        base_width: channels of the last hidden stage (``ngf``). Default: 64.

    Shape:
        - Input: ``(N, latent_dim)`` or ``(N, latent_dim, 1, 1)``.
        - Output: ``(N, channels, image_size, image_size)``.
    """

    def __init__(
        self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, base_width: int = 64
    ) -> None:
        super().__init__()
        check_positive("Generator", latent_dim=latent_dim, channels=channels, base_width=base_width)
        start, n_up = dcgan_layout(image_size)
        self.latent_dim = latent_dim
        width = base_width * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, width, start, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim == 2:
            z = z.reshape(z.shape[0], z.shape[1], 1, 1)
        if z.ndim != 4 or tuple(z.shape[1:]) != (self.latent_dim, 1, 1):
            raise ValueError(
                f"Generator(latent_dim={self.latent_dim}): expected z of shape "
                f"(N, {self.latent_dim}) or (N, {self.latent_dim}, 1, 1), got {tuple(z.shape)}"
            )
        return self.main(z)


class Discriminator(nn.Module):
    """DCGAN discriminator: stride-2 convs (BatchNorm + LeakyReLU 0.2) -> one logit.

    Mirrors :class:`Generator`; the first conv has no BatchNorm, the last reduces the
    ``start x start`` map to one value. No sigmoid: train with ``BCEWithLogitsLoss``.

    Args:
        image_size: input side, as for :class:`Generator`. Default: 64.
        channels: image channels. Default: 3.
        base_width: channels of the first conv (``ndf``). Default: 64.

    Shape:
        - Input: ``(N, channels, image_size, image_size)``.
        - Output: ``(N,)`` logits (real vs fake).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, base_width: int = 64) -> None:
        super().__init__()
        check_positive("Discriminator", channels=channels, base_width=base_width)
        start, n_up = dcgan_layout(image_size)
        self.image_shape = (channels, image_size, image_size)
        layers: list[nn.Module] = [
            nn.Conv2d(channels, base_width, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = base_width
        for _ in range(n_up - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, start, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        check_image(x, self.image_shape, "Discriminator")
        return self.main(x).reshape(-1)
