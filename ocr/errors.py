"""Exception types raised by the library.

Every error a user can cause (bad file, bad name, bad option) is an
:class:`OcrError`; the CLI turns these into one line on stderr and exit status 2.
"""

from __future__ import annotations


class OcrError(Exception):
    """Base class for errors caused by input the user can fix."""


class DataError(OcrError):
    """A dataset is missing, corrupt or of the wrong format."""


class DatasetNotFoundError(DataError):
    """The files of a dataset could not be found or downloaded."""


class ModelError(OcrError):
    """A model name is unknown or a model file cannot be loaded."""


class ImageError(OcrError):
    """An input image is missing, unreadable, empty or too large."""


class FormatError(OcrError):
    """A document cannot be written in the asked format, or the format's optional package is missing."""


class OutputExistsError(OcrError):
    """Writing would overwrite an existing file without ``--force``."""


class OutputError(OcrError):
    """An output cannot be written, or writing it would destroy an input."""
