"""Variational autoencoder (Kingma & Welling, 2013) with a Gaussian prior and encoder."""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive
from ember.models.mlp import MLP
from ember.nn import functional as F

__all__ = ["VAE", "kl_divergence", "reparameterize"]


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` summed over latent dims, averaged over the batch.

    Per sample: ``-1/2 * sum(1 + logvar - mu^2 - exp(logvar))``.

    Shape:
        - mu, logvar: ``(N, latent_dim)``. Output: scalar.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"kl_divergence: mu and logvar must have the same shape, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}"
        )
    per_sample = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)
    return per_sample.mean()


def reparameterize(mu: Tensor, logvar: Tensor, generator: ember.Generator | None = None) -> Tensor:
    """``z = mu + eps * exp(logvar / 2)`` with ``eps ~ N(0, I)``, differentiable in mu, logvar."""
    eps = ember.randn(*mu.shape, dtype=mu.dtype, generator=generator)
    return mu + eps * (0.5 * logvar).exp()


class VAE(nn.Module):
    """A fully connected VAE: ``x -> MLP -> (mu, logvar) -> z -> MLP -> reconstruction``.

    Args:
        in_features: input features (inputs with more dims are flattened from dim 1).
        hidden_sizes: encoder hidden widths; the decoder mirrors them. Default: ``(400,)``.
        latent_dim: size of z. Default: 20.
        likelihood: ``"bernoulli"`` (data in [0, 1], sigmoid outputs, BCE reconstruction) or
            ``"gaussian"`` (raw outputs, squared error). Default: ``"bernoulli"``.

    Shape:
        - Input: ``(N, in_features)`` or ``(N, *)`` with ``prod(*) == in_features``.
        - Output of ``forward``: ``(recon, mu, logvar)`` with ``recon`` shaped like the input
          and ``mu``, ``logvar`` of shape ``(N, latent_dim)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int] = (400,),
        latent_dim: int = 20,
        likelihood: str = "bernoulli",
    ) -> None:
        super().__init__()
        check_positive("VAE", in_features=in_features, latent_dim=latent_dim)
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(
                f"VAE: likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}"
            )
        self.in_features = in_features
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        hidden = list(hidden_sizes)
        # the encoder trunk ends in an activation; two linear heads give mu and logvar
        if hidden:
            self.encoder: nn.Module = MLP([in_features, *hidden], output_activation="relu")
        else:
            self.encoder = nn.Identity()
        trunk = hidden[-1] if hidden else in_features
        self.fc_mu = nn.Linear(trunk, latent_dim)
        self.fc_logvar = nn.Linear(trunk, latent_dim)
        self.decoder = MLP([latent_dim, *hidden[::-1], in_features])

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)``, each ``(N, latent_dim)``."""
        h = self.encoder(x.reshape(x.shape[0], -1))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z: Tensor) -> Tensor:
        """Reconstruction ``(N, in_features)`` in data space (sigmoid for Bernoulli)."""
        out = self.decoder(z)
        return out.sigmoid() if self.likelihood == "bernoulli" else out

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if x.ndim < 2 or x[0].numel() != self.in_features:
            raise ValueError(
                f"VAE(in_features={self.in_features}): expected input (N, {self.in_features}) "
                f"or (N, *) with {self.in_features} features, got {tuple(x.shape)}"
            )
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return self.decode(z).reshape(x.shape), mu, logvar

    def reconstruction_loss(self, recon: Tensor, x: Tensor) -> Tensor:
        """Negative log-likelihood summed over features, averaged over the batch."""
        n = x.shape[0]
        if self.likelihood == "bernoulli":
            total = F.binary_cross_entropy(recon, x, reduction="sum")
        else:
            total = F.mse_loss(recon, x, reduction="sum")
        return total / n

    def loss(
        self, x: Tensor, recon: Tensor, mu: Tensor, logvar: Tensor, beta: float = 1.0
    ) -> Tensor:
        """The negative ELBO: ``reconstruction_loss + beta * kl_divergence`` (per sample)."""
        return self.reconstruction_loss(recon, x) + beta * kl_divergence(mu, logvar)

    def sample(self, n: int, generator: ember.Generator | None = None) -> Tensor:
        """Decode ``n`` draws ``z ~ N(0, I)`` from the prior; returns ``(n, in_features)``."""
        dtype = self.fc_mu.weight.dtype
        z = ember.randn(n, self.latent_dim, dtype=dtype, generator=generator)
        return self.decode(z)
