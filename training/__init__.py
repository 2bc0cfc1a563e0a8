"""Datasets, augmentation and training loops for the models in :mod:`ocr`."""
