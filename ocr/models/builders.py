"""Model builders: one Keras functional builder per architecture.

Every model takes raw glyphs, (N, 28, 28) with white ink on black in 0..255,
and returns class probabilities. Scaling to 0..1 happens inside the model, so
callers never have to know the normalization.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

INPUT_SHAPE = (28, 28)
#: PyTorch's default. Keras' 0.99 leaves the moving variance dominated by its
#: initial 1.0 for the first few hundred steps, which wrecks inference after
#: short runs (LeNet's first conv outputs have variance ~0.005).
BN_MOMENTUM = 0.9


def _classifier_head(x, num_classes: int, dense_units: Sequence[int], dropout: float):
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense_units):
        x = layers.Dense(units, use_bias=False, name=f"dense{i + 1}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"dense{i + 1}_bn")(x)
        x = layers.Activation("relu", name=f"dense{i + 1}_relu")(x)
        x = layers.Dropout(dropout, name=f"dense{i + 1}_dropout")(x)
    # Softmax stays float32 under mixed precision for a stable loss.
    return layers.Dense(num_classes, activation="softmax", dtype="float32", name="classes")(x)


def _conv_bn_relu(x, filters: int, kernel: int, padding: str, conv_name: str, bn_name: str,
                  relu_name: str):
    # No conv bias: batch normalization's shift makes it redundant.
    x = layers.Conv2D(filters, kernel, padding=padding, use_bias=False, name=conv_name)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=bn_name)(x)
    return layers.Activation("relu", name=relu_name)(x)


def _glyph_input():
    inputs = keras.Input(shape=INPUT_SHAPE, name="glyph")
    x = layers.Reshape(INPUT_SHAPE + (1,), name="add_channel")(inputs)
    x = layers.Rescaling(1.0 / 255.0, name="scale")(x)
    return inputs, x


def lenet(num_classes: int = 10, filters: Sequence[int] = (20, 50),
          dense_units: Sequence[int] = (500,), dropout: float = 0.35,
          name: str = "lenet") -> keras.Model:
    """LeNet-5-style digit recognizer: two 5x5 conv/pool stages and a dense head.

    The topology is LeNet-5's with the widths of Caffe's LeNet (20 and 50 maps,
    500 hidden units); batch normalization and augmentation carry it past
    LeNet-5's 99.2% on MNIST.
    """
    inputs, x = _glyph_input()
    for i, width in enumerate(filters):
        x = _conv_bn_relu(x, width, 5, "same" if i == 0 else "valid",
                          f"conv{i + 1}", f"conv{i + 1}_bn", f"conv{i + 1}_relu")
        x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    outputs = _classifier_head(x, num_classes, dense_units, dropout)
    return keras.Model(inputs, outputs, name=name)


def charnet(num_classes: int = 62, widths: Sequence[int] = (32, 64, 128),
            convs_per_stage: int = 1, dense_units: Sequence[int] = (512,),
            dropout: float = 0.4, name: str = "charnet") -> keras.Model:
    """VGG-style character recognizer: stages of 3x3 convolutions and pooling.

    One convolution per stage by default: on a 2-core CPU it trains at about
    1,600 images/s, four times faster than two per stage.

    The class count is a parameter and the output layer is a plain ``Dense``
    named ``classes``, so new classes can be added by widening that layer.
    """
    inputs, x = _glyph_input()
    for stage, width in enumerate(widths, start=1):
        for j in range(1, convs_per_stage + 1):
            x = _conv_bn_relu(x, width, 3, "same", f"stage{stage}_conv{j}",
                              f"stage{stage}_bn{j}", f"stage{stage}_relu{j}")
        x = layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
    outputs = _classifier_head(x, num_classes, dense_units, dropout)
    return keras.Model(inputs, outputs, name=name)


def crnn(num_classes: int = 10, height: int = 32, widths: Sequence[int] = (32, 64, 96, 96, 128),
         rnn_units: int = 128, dropout: float = 0.25, name: str = "crnn",
         rnn_layers: int = 1) -> keras.Model:
    """Convolutional-recurrent line recognizer (Shi et al. 2015), trained with CTC.

    Takes a text line of any width, (N, height, W) white ink on black in
    0..255 with W a multiple of 4, and returns per-frame probabilities
    (N, W / 4, num_classes + 1); class 0 is the CTC blank, class i + 1 is
    label i. Reading whole lines means touching and overlapping characters
    never need to be cut apart.

    The first two stages pool 2x2, later ones only vertically, so one frame
    is four input columns wide: about five frames per digit.
    """
    inputs = keras.Input(shape=(height, None), name="line")
    x = layers.Reshape((height, -1, 1), name="add_channel")(inputs)
    x = layers.Rescaling(1.0 / 255.0, name="scale")(x)
    rows = height
    for stage, width in enumerate(widths, start=1):
        x = _conv_bn_relu(x, width, 3, "same", f"stage{stage}_conv", f"stage{stage}_bn",
                          f"stage{stage}_relu")
        if rows > 1:
            pool = (2, 2) if stage <= 2 else (2, 1)
            x = layers.MaxPooling2D(pool, name=f"stage{stage}_pool")(x)
            rows //= 2
    # (N, rows, frames, C) -> (N, frames, rows * C): one feature vector per frame.
    x = layers.Permute((2, 1, 3), name="frames_first")(x)
    x = layers.Reshape((-1, rows * widths[-1]), name="frames")(x)
    x = layers.Dense(rnn_units, activation="relu", name="frame_proj")(x)
    x = layers.Dropout(dropout, name="frame_dropout")(x)
    for k in range(rnn_layers):  # the first keeps its old name, so older files load unchanged
        suffix = "" if k == 0 else str(k + 1)
        x = layers.Bidirectional(layers.LSTM(rnn_units, return_sequences=True), name=f"context{suffix}")(x)
        x = layers.Dropout(dropout, name=f"context{suffix}_dropout")(x)
    outputs = layers.Dense(num_classes + 1, activation="softmax", dtype="float32", name="frame_classes")(x)
    return keras.Model(inputs, outputs, name=name)
