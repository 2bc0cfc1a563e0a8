"""Custom layers, registered so that ``.keras`` files load with ``safe_mode``."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ocr")
class RandomAffine(keras.layers.Layer):
    """Random rotation, scale, aspect, shear and shift in one resampling.

    Active only in training. One combined affine transform blurs less and costs
    less than a chain of separate random layers. Works on (N, H, W) or
    (N, H, W, C) images on every Keras backend.
    """

    def __init__(self, rotation: float = 12.0, scale: float = 0.12, aspect: float = 0.12,
                 shear: float = 0.15, shift: float = 0.10, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rotation = rotation
        self.scale = scale
        self.aspect = aspect
        self.shear = shear
        self.shift = shift
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _uniform(self, batch, limit):
        return keras.random.uniform((batch,), -limit, limit, seed=self.seed_generator)

    def call(self, images, training=None):
        if not training:
            return images
        squeeze = len(images.shape) == 3
        x = ops.expand_dims(images, -1) if squeeze else images
        x = ops.cast(x, self.compute_dtype)
        batch = ops.shape(x)[0]
        height, width = x.shape[1], x.shape[2]
        theta = self._uniform(batch, self.rotation * math.pi / 180.0)
        log_scale = self._uniform(batch, math.log1p(self.scale))
        log_aspect = self._uniform(batch, math.log1p(self.aspect))
        shear = self._uniform(batch, self.shear)
        # The transform maps output pixels to input pixels, so use the inverse scales.
        sx = ops.exp(-(log_scale + log_aspect))
        sy = ops.exp(-(log_scale - log_aspect))
        cos, sin = ops.cos(theta), ops.sin(theta)
        a0, a1 = sx * cos, sx * (-sin + shear)
        b0, b1 = sy * sin, sy * cos
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        tx = self._uniform(batch, self.shift * width)
        ty = self._uniform(batch, self.shift * height)
        a2 = cx - a0 * cx - a1 * cy + tx
        b2 = cy - b0 * cx - b1 * cy + ty
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        out = ops.image.affine_transform(
            ops.cast(x, "float32"), ops.cast(transform, "float32"),
            interpolation="bilinear", fill_mode="constant", data_format="channels_last",
        )
        out = ops.cast(out, images.dtype) if "int" not in str(images.dtype) else out
        return ops.squeeze(out, -1) if squeeze else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rotation=self.rotation, scale=self.scale, aspect=self.aspect,
                      shear=self.shear, shift=self.shift, seed=self.seed)
        return config


@keras.saving.register_keras_serializable(package="ocr")
class CTCLoss(keras.losses.Loss):
    """Connectionist temporal classification loss for the line models.

    ``y_true`` is (N, max_len) int label indices + 1, padded with 0 (the
    blank never appears in a target, so 0 marks the padding); ``y_pred`` is
    (N, frames, classes + 1) probabilities with the blank at index 0.
    Keras' own ``CTC`` loss counts the padding as part of every target, so
    the target lengths are computed here.
    """

    def __init__(self, name: str = "ctc", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        target_length = ops.sum(ops.cast(y_true > 0, "int32"), axis=1)
        batch = ops.shape(y_pred)[0]
        frames = ops.shape(y_pred)[1]
        output_length = ops.full((batch,), frames, dtype="int32")
        # The backends' ctc_loss apply log-softmax to their input; on
        # log-probabilities that is the identity.
        log_probs = ops.log(ops.clip(ops.cast(y_pred, "float32"), 1e-7, 1.0))
        return ops.ctc_loss(y_true, log_probs, target_length, output_length, mask_index=0)
