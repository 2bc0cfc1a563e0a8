"""The datasets the project trains and scores on, one module per job.

- :mod:`.registry`: every dataset by name, where its files live (the one registry);
- :mod:`.mnist`: loading MNIST and EMNIST from IDX files;
- :mod:`.download`: ``ocr data download`` (HTTPS, SHA-256, user cache); nothing else downloads;
- :mod:`.orand`: ORAND-CAR-A cheque amounts;
- :mod:`.handwriting`: real cursive lines (Testaments de Poilus), split by writer;
- :mod:`.documents`: real scanned pages and FUNSD forms, split by document, and FUNSD's lines;
- :mod:`.glyph_folders`: the user's ``DIR/<label>/*.png`` folders;
- :mod:`.dedup`: pixel-identical images across datasets;
- :mod:`.textfiles`: transcripts (``.gt.txt``) and label tables, UTF-8 checked.

Where data is looked for (``$OCR_DATA_DIR``, the cache) is :mod:`ocr.paths`.
The names below are what the rest of the project imports.
"""

from ocr.paths import cache_dir, data_search_dirs as search_dirs
from training.datasets.base import Dataset
from training.datasets.dedup import drop_duplicates, image_hashes
from training.datasets.handwriting import (
    HANDWRITING_SPLITS, HandwrittenLine, handwriting_folder, handwritten_lines, normalize_transcript,
    writer_split,
)
from training.datasets.glyph_folders import GLYPH_SUFFIXES, folder_label, load_glyph_folder
from training.datasets.mnist import load, locate
from training.datasets.orand import ORAND_COCO, ORAND_SPLITS, orand_car_a, orand_digit_boxes, orand_folder
from training.datasets.registry import (
    DATASETS, ORAND_FOLDER, SHA256, SIGN_DATA, SPLITS, TESTAMENTS, DatasetSpec, FolderSpec, IdxSpec,
    get_spec,
    parse_dataset_split,
)
from training.datasets.textfiles import read_transcript, read_utf8, transcript_for

__all__ = [
    "DATASETS", "GLYPH_SUFFIXES", "HANDWRITING_SPLITS", "HandwrittenLine", "ORAND_COCO", "ORAND_FOLDER",
    "ORAND_SPLITS", "SHA256", "SIGN_DATA", "TESTAMENTS", "handwriting_folder", "handwritten_lines",
    "normalize_transcript", "writer_split",
    "SPLITS", "Dataset", "DatasetSpec", "FolderSpec", "IdxSpec", "cache_dir", "drop_duplicates",
    "folder_label", "get_spec", "image_hashes", "load", "load_glyph_folder", "locate", "orand_car_a",
    "orand_digit_boxes", "orand_folder", "parse_dataset_split", "read_transcript", "read_utf8",
    "search_dirs", "transcript_for",
]
