"""The signature kind's trainer.

Signature models are trained writer-independently on pairs by their own
command (:func:`training.signatures.train_signature`), with thresholds
calibrated per number of references; the generic loop, dataset evaluation
and fine-tuning do not apply, and say so in one line.
"""

from __future__ import annotations

from training.kinds.base import Trainer


class SignatureTrainer(Trainer):
    kind = "signature"

    def train(self, config):
        """Train and calibrate (see :class:`training.signatures.SignatureTrainConfig`)."""
        from training.signatures import train_signature

        return train_signature(config)
