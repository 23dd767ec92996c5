"""Two GANs on the 8x8 digits: a DCGAN and a small StyleGAN2 with R1 regularisation.

Both are one TrainModule with manual optimization: ``configure_optimizers`` returns the
generator's and the discriminator's Adam, and ``training_step`` alternates a discriminator
step (logistic loss, plus ``gamma / 2 * R1`` on real images for StyleGAN2, applied lazily every
few steps as in the paper) and a generator step (non-saturating loss). A grid of samples from
fixed latents is saved after every epoch.

Run: python examples/06_gans.py [--out runs/06_gans] [--quick]
"""

from __future__ import annotations

import os
import time

from _common import cli, epoch_values, prepare_out_dir, report, save_grid, subset, trainer_kwargs

import ember
from ember import nn
from ember.datasets import load_digits
from ember.models import (
    Discriminator,
    Generator,
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    discriminator_loss,
    generator_loss,
    r1_penalty,
)
from ember.train import Trainer, TrainModule
from ember.utils.data import DataLoader


class GAN(TrainModule):
    """Adversarial training of ``generator`` (z -> images in about [-1, 1]) against
    ``discriminator`` (images -> logits).

    Args:
        r1_gamma: weight of the R1 penalty; 0 disables it.
        r1_every: lazy regularisation: apply R1 every this many steps, scaled up to match.
        samples_dir: where the per-epoch sample grids go.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        z_dim: int,
        samples_dir: str,
        lr: float = 2e-3,
        r1_gamma: float = 0.0,
        r1_every: int = 4,
    ):
        super().__init__()
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
        self.z_dim, self.lr, self.samples_dir = z_dim, lr, samples_dir
        self.r1_gamma, self.r1_every = r1_gamma, r1_every
        self.fixed_z = ember.randn(32, z_dim, generator=ember.Generator().manual_seed(1))
        self.sample_paths: list[str] = []

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx):
        opt_g, opt_d = self.optimizers()
        real = batch[0] * 2 - 1  # pixels [0, 1] -> [-1, 1], the generator's tanh range
        z = ember.randn(real.shape[0], self.z_dim)
        fake = self.generator(z)

        # discriminator: real -> 1, fake -> 0 (fake detached: no generator gradient here)
        real_logits = self.discriminator(real)
        d_loss = discriminator_loss(real_logits, self.discriminator(fake.detach()))
        if self.r1_gamma and self.trainer.global_step % self.r1_every == 0:
            r1 = r1_penalty(self.discriminator, real)
            d_loss = d_loss + self.r1_gamma / 2 * self.r1_every * r1
            self.log("r1", r1, on_step=False, on_epoch=True)
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()

        # generator: make the (just updated) discriminator call fakes real
        g_loss = generator_loss(self.discriminator(fake))
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_dict(
            {"d_loss": d_loss, "g_loss": g_loss, "d_real": real_logits.sigmoid().mean()},
            on_step=False,
            on_epoch=True,
        )

    def configure_optimizers(self):
        betas = (0.0, 0.99) if self.r1_gamma else (0.5, 0.999)
        opt_g = ember.optim.Adam(self.generator.parameters(), lr=self.lr, betas=betas)
        opt_d = ember.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=betas)
        return [opt_g, opt_d]

    def sample(self) -> ember.Tensor:
        """Images from the fixed latents in eval mode, mapped back to [0, 1]."""
        self.generator.eval()
        with ember.no_grad():
            images = self.generator(self.fixed_z)
        self.generator.train()
        return ((images + 1) / 2).clamp(0, 1)

    def on_train_epoch_end(self):
        path = os.path.join(self.samples_dir, f"epoch_{self.trainer.current_epoch:03d}.png")
        self.sample_paths.append(save_grid(self.sample(), path))


def build(kind: str, z_dim: int, samples_dir: str) -> GAN:
    if kind == "dcgan":
        generator = Generator(latent_dim=z_dim, image_size=8, channels=1, base_width=32)
        discriminator = Discriminator(image_size=8, channels=1, base_width=32)
        return GAN(generator, discriminator, z_dim, samples_dir, lr=2e-3)
    generator = StyleGAN2Generator(
        z_dim=z_dim,
        w_dim=z_dim,
        img_resolution=8,
        img_channels=1,
        mapping_layers=2,
        channel_base=256,
        channel_max=64,
    )
    discriminator = StyleGAN2Discriminator(
        img_resolution=8, img_channels=1, channel_base=256, channel_max=64
    )
    return GAN(generator, discriminator, z_dim, samples_dir, lr=2e-3, r1_gamma=0.1)


def train(kind: str, images, out_dir: str, epochs: int, seed: int) -> tuple[dict, list[str]]:
    ember.manual_seed(seed)
    run_dir = prepare_out_dir(os.path.join(out_dir, kind))
    module = build(kind, 32, prepare_out_dir(os.path.join(run_dir, "samples")))
    # drop_last keeps every batch a multiple of the minibatch-std group size
    data = DataLoader(
        images,
        batch_size=64,
        shuffle=True,
        drop_last=True,
        generator=ember.Generator().manual_seed(seed),
    )
    trainer = Trainer(**trainer_kwargs(run_dir, epochs, enable_checkpointing=False))
    trainer.fit(module, data)
    weights = os.path.join(run_dir, "generator.safetensors")
    ember.save(module.generator.state_dict(), weights)
    d_losses, g_losses = epoch_values(trainer, "d_loss"), epoch_values(trainer, "g_loss")
    results = {
        f"{kind}_d_loss": d_losses[-1],
        f"{kind}_g_loss": g_losses[-1],
        f"{kind}_d_real": epoch_values(trainer, "d_real")[-1],
        f"{kind}_sample_std": float(module.sample().std().item()),
    }
    return results, [*module.sample_paths, weights]


def main(out_dir="runs/06_gans", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    splits = load_digits(seed=seed)
    images = subset(splits.train, 128 if quick else None)
    epochs = {"dcgan": 2, "stylegan2": 1} if quick else {"dcgan": 30, "stylegan2": 20}
    results, written = {}, []
    for kind in ("dcgan", "stylegan2"):
        res, files = train(kind, images, out_dir, epochs[kind], seed)
        results.update(res)
        written += files
    results["seconds"] = time.perf_counter() - start
    results["files"] = written
    report("GANs on 8x8 digits", results, written)
    return results


if __name__ == "__main__":
    cli(main, "runs/06_gans", __doc__.splitlines()[0])
