"""Learner: the short form for a plain nn.Module (fastai/Keras style), built on the Trainer."""

from __future__ import annotations

from ember.autograd.grad_mode import no_grad
from ember.train.callback import Callback
from ember.train.module import TrainModule


def _split(batch):
    """(inputs, target): the last element of a tuple/list batch is the target."""
    if isinstance(batch, dict):
        return batch["input"] if "input" in batch else batch["image"], batch.get(
            "target", batch.get("label")
        )
    *inputs, target = batch
    return (inputs[0] if len(inputs) == 1 else tuple(inputs)), target


def _metric_name(metric) -> str:
    name = getattr(metric, "name", None) or getattr(metric, "__name__", None)
    return name or type(metric).__name__.lower()


class _LearnerModule(TrainModule):
    """Wraps the user's model: loss on (inputs, target) batches, metrics on validation."""

    def __init__(self, model, loss_func, metrics, learner):
        super().__init__()
        self.model = model
        self.loss_func = loss_func
        self.metric_fns = list(metrics)
        self._learner = learner

    def forward(self, x):
        return self.model(*x) if isinstance(x, tuple) else self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = _split(batch)
        loss = self.loss_func(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = _split(batch)
        out = self(x)
        self.log("val_loss", self.loss_func(out, y), prog_bar=True)
        for metric in self.metric_fns:
            name = f"val_{_metric_name(metric)}"
            if hasattr(metric, "update") and hasattr(metric, "compute"):
                metric.update(out, y)
                self.log(name, metric, prog_bar=True)
            else:
                self.log(name, metric(out, y), prog_bar=True)

    def configure_optimizers(self):
        opt = self._learner.opt
        sched = self._learner._scheduler_for_fit
        if sched is None:
            return opt
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class _History(Callback):
    def __init__(self, rows: list):
        self.rows = rows

    def on_train_epoch_end(self, trainer, module) -> None:
        row = {"epoch": len(self.rows)}
        row.update(
            {
                k.removesuffix("_epoch"): v
                for k, v in trainer.callback_metrics.items()
                if not k.endswith("_step")
            }
        )
        self.rows.append(row)


class Learner:
    """Train a plain ``nn.Module`` with a loss function in one line.

    Args:
        model: the network.
        dls: ``(train_loader, val_loader)``, an object with ``.train``/``.valid`` loaders, or
            a DataModule; or give ``train_loader``/``val_loader``.
        loss_func: ``loss_func(outputs, target)``, e.g. ``nn.CrossEntropyLoss()``.
        opt_func: optimizer class (default ``ember.optim.Adam``), built once and kept across
            ``fit`` calls.
        metrics: ember.metrics objects or functions ``f(outputs, target)``, logged as
            ``val_<name>``.
        lr: default learning rate; ``wd``: weight decay.
        callbacks, **trainer_kwargs: passed to every Trainer this learner runs.
    """

    def __init__(
        self,
        model,
        dls=None,
        loss_func=None,
        opt_func=None,
        metrics=(),
        lr: float = 1e-3,
        train_loader=None,
        val_loader=None,
        wd: float = 0.0,
        callbacks=(),
        **trainer_kwargs,
    ):
        if loss_func is None:
            raise ValueError("Learner: loss_func is required, e.g. nn.CrossEntropyLoss()")
        self.train_loader, self.val_loader = self._loaders(dls, train_loader, val_loader)
        if opt_func is None:
            from ember.optim import Adam

            opt_func = Adam
        self.model, self.lr, self.wd = model, lr, wd
        self.opt = opt_func(model.parameters(), lr=lr, weight_decay=wd)
        self.module = _LearnerModule(model, loss_func, metrics, self)
        self.callbacks = list(callbacks)
        self.trainer_kwargs = trainer_kwargs
        self.history: list[dict] = []
        self.trainer = None
        self._scheduler_for_fit = None

    @staticmethod
    def _loaders(dls, train_loader, val_loader):
        if dls is None:
            if train_loader is None:
                raise ValueError("Learner: give dls or train_loader")
            return train_loader, val_loader
        if isinstance(dls, (tuple, list)):
            return dls[0], (dls[1] if len(dls) > 1 else None)
        if hasattr(dls, "train_dataloader"):
            dls.prepare_data()
            dls.setup("fit")
            return dls.train_dataloader(), dls.val_dataloader()
        return dls.train, getattr(dls, "valid", None)

    def _trainer(self, epochs: int, extra=()):
        from ember.train.trainer import Trainer

        kw = dict(enable_model_summary=False, num_sanity_val_steps=0)
        kw.update(self.trainer_kwargs)
        self.trainer = Trainer(
            max_epochs=epochs, callbacks=[*self.callbacks, *extra, _History(self.history)], **kw
        )
        return self.trainer

    def fit(self, epochs: int, lr: float | None = None) -> list[dict]:
        """Train ``epochs`` more epochs (at ``lr`` if given); returns the history rows."""
        if lr is not None:
            for group in self.opt.param_groups:
                group["lr"] = lr
        self._scheduler_for_fit = None
        self._trainer(epochs).fit(self.module, self.train_loader, self.val_loader)
        return self.history

    def fit_one_cycle(
        self,
        epochs: int,
        max_lr: float | None = None,
        pct_start: float = 0.25,
        div_factor: float = 25.0,
        final_div_factor: float = 1e5,
    ) -> list[dict]:
        """Train with the 1cycle policy: warm up to ``max_lr`` then anneal (fastai's default)."""
        from ember.optim.lr_scheduler import OneCycleLR

        steps = epochs * len(self.train_loader)
        self._scheduler_for_fit = OneCycleLR(
            self.opt,
            max_lr=max_lr or self.lr,
            total_steps=steps,
            pct_start=pct_start,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
        )
        self._trainer(epochs).fit(self.module, self.train_loader, self.val_loader)
        self._scheduler_for_fit = None
        return self.history

    def lr_find(
        self,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_it: int = 100,
        plot_path: str | None = None,
    ):
        """Range test: returns an LRFinderResult (``.suggestion()``, ``.plot()``); the
        weights and optimizer state are left as they were."""
        from ember.tune.lr_finder import lr_find

        state = self.opt.state_dict()
        lrs = [g["lr"] for g in self.opt.param_groups]
        result = lr_find(
            self.module, self.train_loader, min_lr=start_lr, max_lr=end_lr, num_training=num_it
        )
        self.opt.load_state_dict(state)
        for group, lr in zip(self.opt.param_groups, lrs):
            group["lr"] = lr
        if plot_path is not None:
            result.plot(plot_path)
        return result

    def validate(self, loader=None) -> dict:
        """Loss and metrics on the validation loader (or ``loader``)."""
        loader = loader if loader is not None else self.val_loader
        if loader is None:
            raise ValueError("Learner.validate: no validation loader")
        return self._trainer(1).validate(self.module, loader, verbose=False)[0]

    def predict(self, x):
        """Model outputs for a tensor batch, or concatenated over a loader's batches."""
        import ember

        self.model.eval()
        try:
            with no_grad():
                if isinstance(x, ember.Tensor):
                    return self.model(x)
                return ember.cat(
                    [
                        self.module(_split(b)[0] if isinstance(b, (list, tuple, dict)) else b)
                        for b in x
                    ]
                )
        finally:
            self.model.train()

    def show_results(self, n: int = 9, path: str | None = None, class_names=None):
        """Predictions next to targets for ``n`` validation samples: an image grid (saved to
        ``path``) when inputs are images, else printed rows. Returns (inputs, preds, targets)."""
        loader = self.val_loader if self.val_loader is not None else self.train_loader
        x, y = _split(next(iter(loader)))
        x, y = x[:n], y[:n]
        out = self.predict(x)
        preds = out.argmax(1) if out.ndim == 2 and out.shape[1] > 1 else out
        if x.ndim >= 3 and path is not None:
            from ember.train.plots import show_images

            show_images(x, y, preds, path=path, class_names=class_names)
        else:
            for i in range(len(y)):
                print(f"target {y[i].tolist()}  prediction {preds[i].tolist()}")
        return x, preds, y

    @property
    def recorder(self) -> list[dict]:
        return self.history
