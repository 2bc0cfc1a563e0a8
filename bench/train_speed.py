"""Training speed: images/s for both models, and LeNet's wall time to 99.0% on MNIST.

Peer measured in the same run: the Keras "simple MNIST convnet" example
(keras.io/examples/vision/mnist_convnet), trained with the same data and batch
size, without augmentation as in the example.

    OCR_DATA_DIR=../shared/data python bench/train_speed.py
    KERAS_BACKEND=jax OCR_DATA_DIR=... python bench/train_speed.py   # on a GPU machine

Times exclude the per-epoch test pass used to decide when 99.0% is reached.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")



def keras_example_convnet():
    """The keras.io simple MNIST convnet (peer), fed raw 0..255 glyphs like ours."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((28, 28)), layers.Reshape((28, 28, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ], name="keras_example")


def images_per_second(model, x, y, batch_size: int, augment: bool) -> float:
    import keras

    from ocr.models.layers import RandomAffine

    inputs = keras.Input((28, 28))
    wrapped = keras.Model(inputs, model(RandomAffine()(inputs) if augment else inputs))
    wrapped.compile("adam", "sparse_categorical_crossentropy")
    wrapped.fit(x[: batch_size * 4], y[: batch_size * 4], batch_size=batch_size, verbose=0)
    started = time.perf_counter()
    wrapped.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return len(y) / (time.perf_counter() - started)


def time_to_accuracy(model, x, y, x_test, y_test, batch_size, target, max_epochs):
    """Plain fit, epoch by epoch, for the peer: training seconds until the target."""
    model.compile("adam", "sparse_categorical_crossentropy")
    trained = 0.0
    for epoch in range(1, max_epochs + 1):
        started = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        trained += time.perf_counter() - started
        acc = float((model.predict(x_test, batch_size=2048, verbose=0).argmax(1) == y_test).mean())
        if acc >= target:
            return trained, epoch, acc
    return None, max_epochs, acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=16384, help="images per throughput run")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--max-epochs", type=int, default=8)
    args = parser.parse_args()

    import keras

    from ocr import device
    from ocr.models import registry
    from training import datasets
    from training.train import TrainConfig, train

    where = device.configure()
    train_set = datasets.load("mnist", "train")
    test_set = datasets.load("mnist", "test")
    x, y = train_set.images[: args.images], train_set.labels[: args.images]
    print(f"device: {where}; host: {platform.machine()}, {os.cpu_count()} cores; "
          f"keras {keras.__version__}")
    print()
    print("training throughput (images/s, one epoch after warm-up)")
    rows = [
        ("lenet (ours, augmented)", registry.get_spec("lenet").build(), 128, True),
        ("charnet (ours, augmented)", registry.get_spec("charnet").build(), 256, True),
        ("keras example convnet (peer)", keras_example_convnet(), 128, False),
    ]
    for name, model, batch, augment in rows:
        print(f"  {name:32s} batch {batch:4d}  {images_per_second(model, x, y, batch, augment):8.0f}")
    print()
    print(f"wall time of training to {args.target:.1%} MNIST test accuracy")
    with tempfile.TemporaryDirectory() as tmp:
        result = train(TrainConfig(model="lenet", out=f"{tmp}/lenet.keras", epochs=args.max_epochs,
                                   batch_size=128, target_accuracy=args.target))
    curve = result.metadata["training"]["test_curve"]
    last = curve[-1]
    reached = last["accuracy"] >= args.target
    print(f"  {'lenet (ours, library train())':32s} "
          + (f"{last['train_s']:6.1f} s, {last['epoch']} epochs, acc {last['accuracy']:.4f}"
             if reached else f"not reached in {last['epoch']} epochs (acc {last['accuracy']:.4f})"))
    seconds, epochs, acc = time_to_accuracy(keras_example_convnet(), train_set.images, train_set.labels,
                                            test_set.images, test_set.labels, 128, args.target,
                                            args.max_epochs)
    print(f"  {'keras example convnet (peer)':32s} "
          + (f"{seconds:6.1f} s, {epochs} epochs, acc {acc:.4f}" if seconds
             else f"not reached in {epochs} epochs (acc {acc:.4f})"))


if __name__ == "__main__":
    main()
