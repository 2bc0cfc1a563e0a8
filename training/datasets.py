"""MNIST and EMNIST: locating, downloading, verifying and loading.

Files are looked for in ``--data-dir`` (or ``$OCR_DATA_DIR``), then in the user
cache directory. Missing files are downloaded from the canonical URLs into the
cache and checked against their SHA-256, unless downloads are disabled
(``OCR_OFFLINE=1``). Every image returned is upright, white ink on black,
28x28 uint8, like MNIST.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr import charsets
from ocr.errors import DataError, DatasetNotFoundError
from ocr.fileio import atomic_path
from training.idx import read_idx

log = logging.getLogger(__name__)

MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # mirror used by torchvision
    "http://yann.lecun.com/exdb/mnist/",
)
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"

# SHA-256 of the official files. MNIST: computed from the files verified by MD5
# against the published checksums; EMNIST: the Git LFS object ids of the
# official gzip.zip members (repository aurelienduarte/emnist).
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "emnist-bymerge-test-images-idx3-ubyte.gz": "5e5815ec1b522089134435f7c55e75a00960b58414793593ffff23efc0821683",
    "emnist-bymerge-test-labels-idx1-ubyte.gz": "8bda1516255683ba9071e141947ca0c91a911176065cdd6259b0b4d8dc5b5f35",
    "emnist-byclass-test-images-idx3-ubyte.gz": "5ec835bd5d5b1a66378a132e727fef20fe994b3cc666899befcca5ac766f50cd",
    "emnist-byclass-test-labels-idx1-ubyte.gz": "501e305eeeacb093b162592d80e8a2632040872360fa6d85cfcb2200d91ca92a",
    "emnist-mnist-test-images-idx3-ubyte.gz": "b25640fa9e356c618132f5df347c95ef5bae6d9c2596be1de40f7e0ae1c3eac6",
    "emnist-mnist-test-labels-idx1-ubyte.gz": "bcc5385d38f083dba046f5f756e99b32f5ea7fad122c6243c71c2239873065ca",
    "emnist-balanced-train-labels-idx1-ubyte.gz": "b46d41e5156a0a8aaaa4d18979fdd1588850fa8571018acffd5d93b325a7d6ed",
    "emnist-balanced-test-labels-idx1-ubyte.gz": "a67cac948379b67270b9a4d0a01c8ec661598accf2f2b1964340b7c83cb175cd",
    "emnist-balanced-test-images-idx3-ubyte.gz": "117fc12b015e37ea98bfb2cbba3f77c3782c056cdbd219b87abfc8661d7135db",
    "emnist-balanced-train-images-idx3-ubyte.gz": "74295e75e4e9fa2c102147460ee7eb763653d5132d883a84fb88932bfb8d2db4",
    "emnist-byclass-train-images-idx3-ubyte.gz": "9e21987f03a6eb8b870187e785883ddad96947299587908f1a7ec2ca0f4be5f0",
    "emnist-byclass-train-labels-idx1-ubyte.gz": "f7ef403d48dc18a89dae0d83d11ee69cecb6e1c12c3a961d03712e495c02a8fa",
    "emnist-digits-test-images-idx3-ubyte.gz": "20ebe43509264f7639d37c835a3f0b009e90b29e00a099a03101abe1644a3f63",
    "emnist-digits-test-labels-idx1-ubyte.gz": "bad1834c45d5988e270b99d43b13edc3fd898f658ffbc2caf2846ef27f7b05b0",
    "emnist-digits-train-images-idx3-ubyte.gz": "f7c95004d14d81af89522e67d8f0c781dfb3bd544181c81bfe1eb6b41c35b726",
    "emnist-digits-train-labels-idx1-ubyte.gz": "6638a6ff5fe2eefd9cca2471995b46c82986b8e4b2a70d2f5ce8e05d7edb319e",
    "emnist-letters-test-images-idx3-ubyte.gz": "50f0e93d75b99b463e9760b8345866f22587fa2c2fba472730a5ba09c693412d",
    "emnist-letters-train-images-idx3-ubyte.gz": "6288f418a917e007bf5fddb823a2dc7a5c6a35031401b93292a539cb12bd881f",
    "emnist-letters-train-labels-idx1-ubyte.gz": "9759af91ea6bccdf07a6040fd085861f2ec88e37f7c3f5760f6feb57106fbe5c",
    "emnist-mnist-train-images-idx3-ubyte.gz": "5f9942f441031c0f1f2e4d162059fd6e19ea808b34c328b6d16cab0ed24c78f2",
    "emnist-mnist-train-labels-idx1-ubyte.gz": "00c6d3c2342fdffb1711e0b5656cac4ce5862d2826399d383a9bac07d612e9f8",
}

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's files live and how to read them."""

    name: str
    folder: str
    classes: str
    transposed: bool
    label_offset: int = 0
    description: str = ""

    def filenames(self, split: str) -> tuple[str, str]:
        """Return the (images, labels) file names of ``split``."""
        if self.folder == "mnist":
            prefix = "train" if split == "train" else "t10k"
            return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
        subset = self.name.split("-", 1)[1]
        return (
            f"emnist-{subset}-{split}-images-idx3-ubyte.gz",
            f"emnist-{subset}-{split}-labels-idx1-ubyte.gz",
        )


@dataclass
class Dataset:
    """Images (N, 28, 28) uint8, upright, white on black, with integer labels."""

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    classes: str
    source_files: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("mnist", "mnist", charsets.DIGITS, transposed=False,
                    description="MNIST handwritten digits, 60k train / 10k test"),
        DatasetSpec("emnist-byclass", "emnist", charsets.EMNIST_BYCLASS, transposed=True,
                    description="EMNIST ByClass: digits, upper and lower case (62 classes)"),
        DatasetSpec("emnist-bymerge", "emnist", charsets.EMNIST_BYMERGE, transposed=True,
                    description="EMNIST ByMerge: 47 classes, look-alike cases merged"),
        DatasetSpec("emnist-balanced", "emnist", charsets.EMNIST_BYMERGE, transposed=True,
                    description="EMNIST Balanced: 47 classes, equal counts"),
        DatasetSpec("emnist-letters", "emnist", charsets.EMNIST_LETTERS, transposed=True,
                    label_offset=1, description="EMNIST Letters: 26 case-insensitive classes"),
        DatasetSpec("emnist-digits", "emnist", charsets.DIGITS, transposed=True,
                    description="EMNIST Digits: 10 classes"),
        DatasetSpec("emnist-mnist", "emnist", charsets.DIGITS, transposed=True,
                    description="EMNIST MNIST: 10 classes, MNIST-sized"),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """Return the spec of a dataset by name, with a helpful error for unknown names."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataError(f"unknown dataset {name!r}; known datasets: {known}") from None


def cache_dir() -> Path:
    """The user cache directory for downloaded datasets."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ocr" / "datasets"


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories searched for dataset files, in order."""
    dirs: list[Path] = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    elif os.environ.get("OCR_DATA_DIR"):
        dirs.append(Path(os.environ["OCR_DATA_DIR"]))
    dirs.append(cache_dir())
    return dirs


def downloads_allowed() -> bool:
    """False when ``OCR_OFFLINE`` is set (tests and air-gapped machines)."""
    return os.environ.get("OCR_OFFLINE", "").lower() not in ("1", "true", "yes")


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _find(spec: DatasetSpec, filename: str, dirs: list[Path]) -> Path | None:
    for base in dirs:
        for candidate in (base / spec.folder / filename, base / filename):
            if candidate.is_file():
                return candidate
    return None


def _verify(path: Path, filename: str) -> None:
    expected = SHA256.get(filename)
    if expected is not None and sha256_file(path) != expected:
        path.unlink()
        raise DataError(f"{filename}: SHA-256 mismatch after download; the file was removed")


def _download_mnist(filename: str, dest: Path) -> None:
    errors = []
    for base in MNIST_URLS:
        url = base + filename
        try:
            log.info("downloading %s", url)
            with urllib.request.urlopen(url, timeout=60) as response, atomic_path(dest) as tmp:
                with open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
            _verify(dest, filename)
            return
        except (OSError, DataError) as exc:
            errors.append(f"{url}: {exc}")
    raise OSError("; ".join(errors))


def _download_emnist(filename: str, dest: Path) -> None:
    archive = cache_dir() / "emnist-gzip.zip"
    if not archive.is_file():
        log.info("downloading %s (about 560 MB)", EMNIST_URL)
        with urllib.request.urlopen(EMNIST_URL, timeout=60) as response, atomic_path(archive) as tmp:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(response, out)
    with zipfile.ZipFile(archive) as bundle, atomic_path(dest) as tmp:
        with bundle.open(f"gzip/{filename}") as member, open(tmp, "wb") as out:
            shutil.copyfileobj(member, out)
    _verify(dest, filename)


def locate(spec: DatasetSpec, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Return the path of one dataset file, downloading it if needed and allowed."""
    dirs = search_dirs(data_dir)
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DatasetNotFoundError(f"data directory {data_dir} does not exist")
    found = _find(spec, filename, dirs)
    if found is not None:
        return found
    dest = cache_dir() / spec.folder / filename
    hint = (
        f"{spec.name}: {filename} not found; put it in "
        f"{dirs[0] / spec.folder}/ (or set OCR_DATA_DIR)"
    )
    if not downloads_allowed():
        raise DatasetNotFoundError(hint + "; downloads are off (OCR_OFFLINE)")
    try:
        if spec.folder == "mnist":
            _download_mnist(filename, dest)
        else:
            _download_emnist(filename, dest)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise DatasetNotFoundError(f"{hint}; download failed: {exc}") from None
    return dest


def load(name: str, split: str = "train", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load one split of a dataset as upright, white-on-black uint8 images."""
    spec = get_spec(name)
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    image_name, label_name = spec.filenames(split)
    image_path = locate(spec, image_name, data_dir)
    label_path = locate(spec, label_name, data_dir)
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{image_path}: expected uint8 images of 28x28, got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(
            f"{label_path}: {labels.shape[0] if labels.ndim == 1 else labels.shape} labels "
            f"for {images.shape[0]} images"
        )
    labels = labels.astype(np.int64) - spec.label_offset
    if labels.size and (labels.min() < 0 or labels.max() >= len(spec.classes)):
        raise DataError(f"{label_path}: labels outside 0..{len(spec.classes) - 1} for {spec.name}")
    if spec.transposed:
        # EMNIST stores each image transposed relative to MNIST.
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
    log.info("loaded %s/%s: %d images", name, split, len(labels))
    return Dataset(name, split, images, labels, spec.classes, [str(image_path), str(label_path)])


ORAND_FOLDER = "orand-car-a"
#: ORAND-CAR-A splits: gt.tsv lists the images in an order unrelated to their
#: content (sorted by a hash in the file name), so alternate rows make two
#: halves drawn at random: ``train`` (even rows) for training and adaptation,
#: ``test`` (odd rows) for scores; ``all`` is every row.
ORAND_SPLITS = ("all", "train", "test")
ORAND_COCO = "ORAND-CAR-2014-coco/annotations/instances_train2017.json"


def orand_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """The ORAND-CAR-A folder (the one holding ``gt.tsv``) found in the search directories."""
    dirs = search_dirs(data_dir)
    for base in dirs:
        if (base / ORAND_FOLDER / "gt.tsv").is_file():
            return (base / ORAND_FOLDER).resolve()
    raise DatasetNotFoundError(
        f"{ORAND_FOLDER}: gt.tsv not found in {', '.join(str(d) for d in dirs)}; it cannot be "
        f"downloaded automatically: put the ORAND-CAR-A folder (gt.tsv and images) in one of them")


def orand_car_a(data_dir: str | os.PathLike | None = None, split: str = "all") -> list[tuple[Path, str]]:
    """ORAND-CAR-A cheque amounts: (image path, digit string) pairs, from ``gt.tsv``.

    ``split`` is one of :data:`ORAND_SPLITS`. The images are for research use
    and have no canonical download, so a missing folder gets an error saying
    where to put it.
    """
    if split not in ORAND_SPLITS:
        raise DataError(f"{ORAND_FOLDER} has no split {split!r}; use one of {', '.join(ORAND_SPLITS)}")
    table = orand_folder(data_dir) / "gt.tsv"
    rows = [line.split("\t") for line in table.read_text().splitlines()[1:] if line.strip()]
    out = [(table.parent / r[0], r[1].strip()) for r in rows if len(r) >= 2]
    missing = [p for p, _ in out if not p.is_file()]
    if missing:
        raise DataError(f"{table}: {len(missing)} listed images are missing, e.g. {missing[0]}")
    out = out if split == "all" else out[0::2] if split == "train" else out[1::2]
    if not out:
        raise DataError(f"{table}: no images listed for the {split} split (rows: image path, digit string)")
    return out


def orand_digit_boxes(data_dir: str | os.PathLike | None = None) -> dict[str, list[tuple[tuple[int, int, int, int], str]]]:
    """Per ORAND-CAR-A image file name, its digits' boxes (x, y, w, h) and digits, left to right."""
    path = orand_folder(data_dir) / ORAND_COCO
    try:
        coco = json.loads(path.read_text())
        names = {c["id"]: str(c["name"]) for c in coco["categories"]}
        files = {im["id"]: im["file_name"] for im in coco["images"]}
        boxes: dict[str, list] = {name: [] for name in files.values()}
        for ann in coco["annotations"]:
            x, y, w, h = (int(round(v)) for v in ann["bbox"])
            boxes[files[ann["image_id"]]].append(((x, y, w, h), names[ann["category_id"]]))
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{path} not found: the digit boxes come with ORAND-CAR-A's COCO export") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a COCO annotation file ({exc})") from None
    return {name: sorted(b, key=lambda item: item[0][0]) for name, b in boxes.items()}


def parse_dataset_split(text: str, default_split: str = "test") -> tuple[str, str]:
    """Parse ``NAME`` or ``NAME:SPLIT``."""
    name, _, split = text.partition(":")
    return name, split or default_split


def image_hashes(images: np.ndarray) -> np.ndarray:
    """One 128-bit digest per image, to find pixel-identical images across datasets."""
    flat = np.ascontiguousarray(images.reshape(len(images), -1))
    return np.array([hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat])


def drop_duplicates(dataset: Dataset, others: list[Dataset]) -> tuple[Dataset, int]:
    """Remove images of ``dataset`` that are pixel-identical to any image in ``others``.

    Returns the filtered dataset and the number of images dropped.
    """
    if not others:
        return dataset, 0
    seen = set(np.concatenate([image_hashes(o.images) for o in others]).tolist())
    keep = np.array([h not in seen for h in image_hashes(dataset.images).tolist()], dtype=bool)
    kept = Dataset(dataset.name, dataset.split, dataset.images[keep], dataset.labels[keep],
                   dataset.classes, dataset.source_files)
    return kept, int((~keep).sum())


GLYPH_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def folder_label(name: str, overrides: dict[str, str]) -> str:
    """The character a glyph folder stands for: its name, ``U+20AC``, or labels.tsv."""
    if name in overrides:
        return overrides[name]
    if name.upper().startswith("U+"):
        try:
            return chr(int(name[2:], 16))
        except ValueError:
            raise DataError(f"glyph folder {name!r}: not a valid U+XXXX code point") from None
    return name


def _glyph_to_mnist(gray: np.ndarray) -> np.ndarray:
    """Bring one glyph image to the model input, as ``ocr read`` normalizes glyphs."""
    import cv2

    from ocr.normalize import to_mnist

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 255 - gray if border.mean() > 127 else gray
    if ink.shape == (28, 28):
        return ink.astype(np.uint8)
    # Paper texture below the Otsu level is background, not faint ink.
    level, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return to_mnist(np.where(ink > level, ink, 0).astype(np.uint8))


def load_glyph_folder(path: str | os.PathLike) -> Dataset:
    """Load ``DIR/<label>/*.png`` (one subfolder per character) as a dataset.

    A label that cannot be a folder name is written ``U+20AC`` or mapped in
    ``DIR/labels.tsv`` (``folder<TAB>label`` per line). Images of any size are
    brought to MNIST format.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise DatasetNotFoundError(f"glyph folder {root} does not exist")
    overrides: dict[str, str] = {}
    tsv = root / "labels.tsv"
    if tsv.is_file():
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                folder, _, label = line.partition("\t")
                overrides[folder.strip()] = label.strip()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"glyph folder {root} is empty: expected one subfolder per character")
    images, labels, names = [], [], []
    for folder in folders:
        label = folder_label(folder.name, overrides)
        if len(label) != 1:
            raise DataError(f"glyph folder {folder}: label {label!r} is not one character; "
                            "name it U+XXXX or map it in labels.tsv")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in GLYPH_SUFFIXES)
        if not files:
            raise DataError(f"glyph folder {folder} has no images")
        for file in files:
            try:
                with Image.open(file) as image:
                    gray = np.asarray(image.convert("L"))
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"{file}: unreadable image ({exc})") from None
            images.append(_glyph_to_mnist(gray))
            labels.append(label)
            names.append(str(file))
    classes = "".join(sorted(set(labels)))
    index = {c: i for i, c in enumerate(classes)}
    return Dataset(str(root), "all", np.stack(images), np.array([index[c] for c in labels]),
                   classes, names)
