"""Trainers, one per model kind (:data:`ocr.models.kinds.KINDS` names each by path).

A trainer owns what differs between kinds: the training data, the training
graph and loss, how the plain network is taken out of it, the test scores,
evaluation on a named dataset, and fine-tuning on a user's samples. The
training loop (:mod:`training.train`) and the commands call these methods
instead of branching on the kind.
"""
