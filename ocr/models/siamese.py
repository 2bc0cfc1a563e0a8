"""SigNet-style Siamese network for writer-independent signature verification.

One convolutional embedding network (convolution, local response normalization
and max-pooling as in Dey et al. 2017, plus batch normalization, scaled down for
a CPU) is shared by both branches; a registered :class:`EuclideanDistance` layer
compares the two unit-length embeddings. Training uses a contrastive loss
(:func:`contrastive_loss`, :class:`PairwiseContrastiveLoss`). Everything here is
``keras``/``keras.ops``, registered so ``.keras`` files load with ``safe_mode``.

The bundled model is ``signet`` in :mod:`ocr.models.registry` (kind
``signature``) and loads through :func:`ocr.models.load` like every model.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from keras import layers, ops

from ocr import signature


@keras.saving.register_keras_serializable(package="ocr")
class LocalResponseNormalization(layers.Layer):
    """Cross-channel LRN as in AlexNet/SigNet: x / (k + alpha/n * sum x^2)^beta.

    Keras 3 has no LRN layer; this one uses only ``keras.ops`` so it runs on
    every backend. The sum over ``size`` neighbouring channels is a sum of
    shifted slices of the zero-padded squares.
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                 bias: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.bias = size, alpha, beta, bias

    def call(self, x):
        channels = x.shape[-1]
        half = self.size // 2
        squares = ops.pad(ops.square(x), [[0, 0], [0, 0], [0, 0], [half, self.size - 1 - half]])
        total = squares[..., 0:channels]
        for i in range(1, self.size):
            total = total + squares[..., i: i + channels]
        return x / ops.power(self.bias + (self.alpha / self.size) * total, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, alpha=self.alpha, beta=self.beta, bias=self.bias)
        return config


@keras.saving.register_keras_serializable(package="ocr")
class EuclideanDistance(layers.Layer):
    """Distance between two batches of embeddings, shape (N, 1).

    The epsilon under the square root keeps the gradient finite for identical inputs.
    """

    def __init__(self, epsilon: float = 1e-9, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        a, b = inputs
        squared = ops.sum(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")),
                          axis=-1, keepdims=True)
        return ops.sqrt(ops.maximum(squared, self.epsilon))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="ocr")
def contrastive_loss(y_true, distance, margin: float = 1.0):
    """Hadsell et al.'s contrastive loss; ``y_true`` is 1 for a genuine pair, 0 otherwise.

    Genuine pairs are pulled together (d^2); other pairs are pushed until they
    are ``margin`` apart.
    """
    y = ops.cast(y_true, "float32")
    d = ops.cast(distance, "float32")
    return y * ops.square(d) + (1.0 - y) * ops.square(ops.relu(margin - d))


@keras.saving.register_keras_serializable(package="ocr")
class ContrastiveLoss(keras.losses.Loss):
    """:func:`contrastive_loss` on (label, distance) pairs, for the two-input model."""

    def __init__(self, margin: float = 1.0, name: str = "contrastive", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin = margin

    def call(self, y_true, y_pred):
        return ops.mean(contrastive_loss(ops.reshape(y_true, (-1,)), ops.reshape(y_pred, (-1,)),
                                         self.margin), axis=-1)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


@keras.saving.register_keras_serializable(package="ocr")
class PairwiseContrastiveLoss(keras.losses.Loss):
    """The contrastive loss over every useful pair inside a batch of embeddings.

    ``y_true`` is (N, 2): writer id and 1 for genuine / 0 for a forgery of that
    writer. Positive pairs are genuine-genuine of one writer; negatives are
    genuine versus that writer's skilled forgery, and genuine versus another
    writer's genuine (random forgery). Each image is embedded once and used in
    many pairs, which is what makes Siamese training affordable on a CPU. The
    three groups are averaged separately so the many random pairs do not drown
    the few skilled ones.
    """

    def __init__(self, margin: float = 1.0, skilled_weight: float = 0.5,
                 positive_margin: float = 0.0, name: str = "pairwise_contrastive", **kwargs):
        kwargs.setdefault("reduction", "sum")  # call() already returns one number
        super().__init__(name=name, **kwargs)
        self.margin = margin
        self.skilled_weight = skilled_weight
        self.positive_margin = positive_margin

    def call(self, y_true, y_pred):
        emb = ops.cast(y_pred, "float32")
        writer = ops.cast(y_true[:, 0], "float32")
        genuine = ops.cast(y_true[:, 1], "float32")
        squared = ops.sum(ops.square(emb), axis=1)
        d2 = squared[:, None] + squared[None, :] - 2.0 * ops.matmul(emb, ops.transpose(emb))
        d = ops.sqrt(ops.maximum(d2, 1e-9))
        same = ops.cast(ops.equal(writer[:, None], writer[None, :]), "float32")
        both = genuine[:, None] * genuine[None, :]
        one = genuine[:, None] * (1.0 - genuine[None, :]) + (1.0 - genuine[:, None]) * genuine[None, :]
        n = ops.shape(emb)[0]
        off_diagonal = 1.0 - ops.eye(n, dtype="float32")
        positive = same * both * off_diagonal
        skilled = same * one
        random = (1.0 - same) * both
        # A positive margin (double-margin contrastive loss) lets a writer's genuine
        # signatures spread a little, leaving room to push skilled forgeries out.
        pos_loss = ops.square(ops.relu(d - self.positive_margin))
        neg_loss = contrastive_loss(0.0, d, self.margin)

        def mean(mask, values):
            return ops.sum(mask * values) / ops.maximum(ops.sum(mask), 1.0)

        w = self.skilled_weight
        return mean(positive, pos_loss) + w * mean(skilled, neg_loss) + (1 - w) * mean(random, neg_loss)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "skilled_weight": self.skilled_weight,
                "positive_margin": self.positive_margin}


def signet_embedding(input_shape: Sequence[int] = signature.INPUT_SHAPE,
                     filters: Sequence[int] = (32, 64, 128, 128),
                     kernel_sizes: Sequence[int] = (7, 5, 3, 3),
                     dense_units: int = 128, embedding_dim: int = 64,
                     conv_dropout: float = 0.0, dense_dropout: float = 0.0,
                     batch_norm: bool = True, pooling: str = "avg",
                     name: str = "signet_embedding") -> keras.Model:
    """SigNet's embedding branch, scaled down: (N, H, W) ink-high images to unit vectors.

    SigNet's layout: a strided large-kernel convolution, LRN and pooling; a
    second convolution, LRN, pooling and dropout; two 3x3 convolutions and
    pooling; two dense layers. Widths are about a third of SigNet's and global
    average pooling replaces its flatten (``pooling="flatten"`` restores it):
    0.30 M weights instead of 0.74 M at 80x128, less to overfit with a few
    dozen training writers, and it trains in minutes on a 2-core CPU. The
    output is L2-normalized, so distances lie in 0..2 and a contrastive margin
    of 1 is meaningful. ``batch_norm`` (default
    on) adds batch normalization after each convolution and the first dense
    layer, as in Hafemann et al.'s SigNet variant. SigNet's dropout layers are
    kept but off by default: with a few dozen writers the network learned to
    satisfy the loss with dropout noise, leaving test-time embeddings collapsed.
    """
    height, width = input_shape
    inputs = keras.Input(shape=(height, width), name="signature")
    x = layers.Reshape((height, width, 1), name="add_channel")(inputs)

    def conv(x, width_i, kernel, name, strides=1):
        # Batch normalization keeps the faint, sparse ink signal from being
        # swamped by biases; without it the embeddings of all images nearly coincide.
        x = layers.Conv2D(width_i, kernel, strides=strides, padding="same",
                          use_bias=not batch_norm, name=name)(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    x = conv(x, filters[0], kernel_sizes[0], "conv1", strides=2)
    x = LocalResponseNormalization(name="lrn1")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = conv(x, filters[1], kernel_sizes[1], "conv2")
    x = LocalResponseNormalization(name="lrn2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Dropout(conv_dropout, name="drop2")(x)
    for i, (width_i, kernel) in enumerate(zip(filters[2:], kernel_sizes[2:]), start=3):
        x = conv(x, width_i, kernel, f"conv{i}")
    x = layers.MaxPooling2D(3, strides=2, name="pool3")(x)
    x = layers.Dropout(conv_dropout, name="drop3")(x)
    # "avg" (global average pooling) has far fewer weights than SigNet's flatten.
    if pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    else:
        x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, use_bias=not batch_norm, name="fc1")(x)
    if batch_norm:
        x = layers.BatchNormalization(momentum=0.9, name="fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(dense_dropout, name="drop_fc1")(x)
    x = layers.Dense(embedding_dim, name="fc2")(x)
    outputs = layers.UnitNormalization(dtype="float32", name="embedding")(x)
    return keras.Model(inputs, outputs, name=name)


def signet(embedding: keras.Model | None = None, name: str = "signet", **kwargs) -> keras.Model:
    """The Siamese model: two signatures in, their embedding distance (N, 1) out.

    ``kwargs`` go to :func:`signet_embedding` when no trained ``embedding`` is given.
    """
    embedding = embedding or signet_embedding(**kwargs)
    shape = embedding.input_shape[1:]
    first = keras.Input(shape=shape, name="reference")
    second = keras.Input(shape=shape, name="questioned")
    distance = EuclideanDistance(name="distance")([embedding(first), embedding(second)])
    return keras.Model([first, second], distance, name=name)
