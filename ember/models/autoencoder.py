"""Autoencoders whose ``encoder`` can be reused (frozen) for transfer learning."""

from __future__ import annotations

from collections.abc import Sequence

from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive
from ember.models.mlp import MLP

__all__ = ["Autoencoder", "MLPAutoencoder", "ConvAutoencoder"]


class Autoencoder(nn.Module):
    """``decoder(encoder(x))`` for any pair of modules.

    Args:
        encoder: maps inputs to codes.
        decoder: maps codes back to inputs.

    Shape:
        - Input: whatever ``encoder`` takes; output: what ``decoder`` returns (the input's
          shape for the subclasses below).
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))

    def freeze_encoder(self) -> nn.Module:
        """Stop gradients to the encoder and put it in eval mode; returns the encoder.

        The returned module can be placed in a downstream model as a fixed feature extractor.
        """
        self.encoder.requires_grad_(False)
        self.encoder.eval()
        return self.encoder


class MLPAutoencoder(Autoencoder):
    """Fully connected autoencoder: ``in -> hidden... -> latent -> ...hidden -> in``.

    Args:
        in_features: input features (inputs with more dims are flattened from dim 1).
        hidden_sizes: encoder hidden widths; the decoder mirrors them. Default: ``(128,)``.
        latent_dim: code size. Default: 32.
        activation: hidden activation name. Default: ``"relu"``.
        output_activation: e.g. ``"sigmoid"`` for data in [0, 1]; None for raw outputs.

    Shape:
        - Input: ``(N, in_features)`` or ``(N, *)`` with ``prod(*) == in_features``.
        - Output: the input's shape. Codes: ``(N, latent_dim)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int] = (128,),
        latent_dim: int = 32,
        activation: str = "relu",
        output_activation: str | None = None,
    ) -> None:
        check_positive("MLPAutoencoder", in_features=in_features, latent_dim=latent_dim)
        sizes = [in_features, *hidden_sizes, latent_dim]
        encoder = nn.Sequential(nn.Flatten(), MLP(sizes, activation=activation))
        decoder = MLP(sizes[::-1], activation=activation, output_activation=output_activation)
        super().__init__(encoder, decoder)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x)).reshape(x.shape)


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder: stride-2 3x3 convs down, stride-2 transposed convs up.

    Each encoder stage halves H and W; the decoder mirrors it, so H and W must be divisible
    by ``2 ** len(channels)``.

    Args:
        in_channels: image channels. Default: 1.
        channels: encoder stage widths. Default: ``(16, 32)``.
        output_activation: ``"sigmoid"`` (default, for [0, 1] images) or None.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, in_channels, H, W)``. Codes: ``(N, channels[-1], H / 2^k, W / 2^k)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: Sequence[int] = (16, 32),
        output_activation: str | None = "sigmoid",
    ) -> None:
        if not channels:
            raise ValueError("ConvAutoencoder: channels must name at least one stage")
        check_positive("ConvAutoencoder", in_channels=in_channels, min_channels=min(channels))
        if output_activation not in ("sigmoid", None):
            raise ValueError(
                f"ConvAutoencoder: output_activation must be 'sigmoid' or None, "
                f"got {output_activation!r}"
            )
        widths = [in_channels, *channels]
        enc: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            enc += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
        dec: list[nn.Module] = []
        rev = widths[::-1]
        for i, (c_in, c_out) in enumerate(zip(rev[:-1], rev[1:])):
            # k=3, s=2, p=1, output_padding=1 exactly doubles H and W
            dec.append(nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1))
            if i < len(rev) - 2:
                dec.append(nn.ReLU(inplace=True))
        if output_activation == "sigmoid":
            dec.append(nn.Sigmoid())
        self.factor = 2 ** len(channels)
        super().__init__(nn.Sequential(*enc), nn.Sequential(*dec))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[-1] % self.factor or x.shape[-2] % self.factor:
            raise ValueError(
                f"ConvAutoencoder: expected (N, C, H, W) with H and W divisible by "
                f"{self.factor}, got {tuple(x.shape)}"
            )
        return super().forward(x)
