"""A variational autoencoder on the 8x8 digits: ELBO training, samples from the prior.

The loss is the negative evidence lower bound, ``E_q[-log p(x|z)] + KL(q(z|x) || N(0, I))``
per image (Bernoulli likelihood on pixels in [0, 1]). The test ELBO is estimated with one
posterior sample per image; 64 draws from the prior are decoded into a grid, and test
reconstructions are saved next to their inputs.

Run: python examples/08_vae.py [--out runs/08_vae] [--quick]
"""

from __future__ import annotations

import os
import time

from _common import cli, epoch_values, prepare_out_dir, report, save_grid, subset, trainer_kwargs

import ember
from ember.datasets import load_digits
from ember.models import VAE, kl_divergence
from ember.models.vae import reparameterize
from ember.train import Trainer, TrainModule
from ember.utils.data import DataLoader


class VAEModule(TrainModule):
    """Minimises the negative ELBO of a :class:`ember.models.VAE`; logs its two terms."""

    def __init__(self, vae: VAE, lr: float = 2e-3):
        super().__init__()
        self.vae, self.lr = vae, lr

    def forward(self, x):
        return self.vae(x)

    def training_step(self, batch, batch_idx):
        x = batch[0]
        recon, mu, logvar = self(x)
        loss = self.vae.loss(x, recon, mu, logvar)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log_dict(negative_elbo(self.vae, batch[0]))

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=self.lr)


def negative_elbo(vae: VAE, x: ember.Tensor) -> dict:
    """One-sample estimate of the negative ELBO and its terms (nats per image)."""
    mu, logvar = vae.encode(x)
    recon = vae.decode(reparameterize(mu, logvar)).reshape(x.shape)
    rec, kl = vae.reconstruction_loss(recon, x), kl_divergence(mu, logvar)
    return {"val_loss": rec + kl, "val_recon": rec, "val_kl": kl}


def main(out_dir="runs/08_vae", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    splits = load_digits(seed=seed)
    train_set = subset(splits.train, 256 if quick else None)
    epochs = 3 if quick else 60

    vae = VAE(64, hidden_sizes=(128,), latent_dim=8)
    trainer = Trainer(**trainer_kwargs(out_dir, epochs, enable_checkpointing=False))
    shuffle = ember.Generator().manual_seed(seed)
    trainer.fit(
        VAEModule(vae),
        DataLoader(train_set, 64, shuffle=True, generator=shuffle),
        DataLoader(splits.val, 256),
    )

    vae.eval()
    x_test = splits.test.tensors[0]
    with ember.no_grad():
        test = {k: v.item() for k, v in negative_elbo(vae, x_test).items()}
        samples = vae.sample(64, generator=ember.Generator().manual_seed(seed)).reshape(-1, 8, 8)
        recon = vae(x_test[:32])[0]
    prior_png = save_grid(samples, os.path.join(out_dir, "prior_samples.png"))
    recon_png = save_grid(
        ember.cat([x_test[:32], recon]), os.path.join(out_dir, "reconstructions.png")
    )
    weights = os.path.join(out_dir, "vae.safetensors")
    ember.save(vae.state_dict(), weights)
    losses = epoch_values(trainer, "train_loss")
    results = {
        "test_elbo": -test["val_loss"],
        "test_recon_nll": test["val_recon"],
        "test_kl": test["val_kl"],
        "train_loss_first": losses[0],
        "train_loss_last": losses[-1],
        "seconds": time.perf_counter() - start,
        "files": [prior_png, recon_png, weights, trainer.logger.metrics_file_path],
    }
    report("VAE on 8x8 digits (ELBO in nats per image)", results, results["files"])
    return results


if __name__ == "__main__":
    cli(main, "runs/08_vae", __doc__.splitlines()[0])
