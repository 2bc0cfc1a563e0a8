"""The dataset registry: every dataset the project reads, by name, and where its files are.

A new file dataset is one entry in :data:`DATASETS`. ``IdxSpec`` entries (MNIST
and EMNIST) have canonical HTTPS downloads with SHA-256 checksums
(:mod:`training.datasets.download`); ``FolderSpec`` entries (ORAND-CAR-A, the
signature data) cannot be downloaded and must be put in the data folder.
Nothing here reads a file's contents or touches the network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ocr import charsets
from ocr.errors import DataError, DatasetNotFoundError
from ocr.paths import DATA_DIR_ENV, cache_dir, data_search_dirs

SPLITS = ("train", "test")

#: HTTPS mirrors of the MNIST files (the files are checked against :data:`SHA256`).
MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # mirror used by torchvision
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # mirror used by TensorFlow
)
#: The official EMNIST archive; its members are checked against :data:`SHA256`.
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


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: the folder it lives in (under a search directory) and what it is."""

    name: str
    folder: str
    description: str = ""

    @property
    def downloadable(self) -> bool:
        return False

    def find(self, data_dir: str | os.PathLike | None = None) -> Path | None:
        """Where the dataset was found, or None."""
        raise NotImplementedError

    def missing_hint(self) -> str:
        """What to do when the dataset is not found."""
        return (f"it cannot be downloaded: put the {self.folder} folder in your data folder "
                f"and set {DATA_DIR_ENV}")


@dataclass(frozen=True)
class IdxSpec(DatasetSpec):
    """A glyph dataset in IDX files (MNIST, EMNIST), downloadable and checksummed."""

    classes: str = ""
    transposed: bool = False
    label_offset: int = 0

    @property
    def downloadable(self) -> bool:
        return True

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

    def all_files(self) -> list[str]:
        """Every file of every split that has a known checksum (what a download fetches)."""
        return [f for split in SPLITS for f in self.filenames(split) if f in SHA256]

    def find_file(self, filename: str, data_dir: str | os.PathLike | None = None) -> Path | None:
        """One file of this dataset in the search directories (``DIR/<folder>/`` or ``DIR/``)."""
        for base in data_search_dirs(data_dir):
            for candidate in (base / self.folder / filename, base / filename):
                if candidate.is_file():
                    return candidate
        return None

    def find(self, data_dir: str | os.PathLike | None = None) -> Path | None:
        """The folder holding the first split's files that are found, or None."""
        for split in ("test", "train"):
            found = [self.find_file(f, data_dir) for f in self.filenames(split)]
            if all(found):
                return found[0].parent
        return None

    def missing_hint(self) -> str:
        return (f"download it with `ocr data download {self.name}` (into {cache_dir()}), or put "
                f"its files in DIR/{self.folder}/ and set {DATA_DIR_ENV}=DIR")


@dataclass(frozen=True)
class FolderSpec(DatasetSpec):
    """A dataset that is a folder (found by a marker file inside it); never downloaded."""

    marker: str = ""

    def find(self, data_dir: str | os.PathLike | None = None) -> Path | None:
        for base in data_search_dirs(data_dir):
            folder = base / self.folder
            if (folder / self.marker).exists() if self.marker else folder.is_dir():
                return folder.resolve()
        return None

    def require(self, data_dir: str | os.PathLike | None = None) -> Path:
        """The folder, or the one-line error that says where it was looked for and what to do."""
        found = self.find(data_dir)
        if found is None:
            raise not_found(self, self.marker or "folder", data_dir)
        return found


ORAND_FOLDER = "orand-car-a"
SIGN_DATA = "sign-data"
TESTAMENTS = "testaments-de-poilus"
FUNSD = "funsd"

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        IdxSpec("mnist", "mnist", "MNIST handwritten digits, 60k train / 10k test",
                classes=charsets.DIGITS, transposed=False),
        IdxSpec("emnist-byclass", "emnist", "EMNIST ByClass: digits, upper and lower case (62 classes)",
                classes=charsets.EMNIST_BYCLASS, transposed=True),
        IdxSpec("emnist-bymerge", "emnist", "EMNIST ByMerge: 47 classes, look-alike cases merged",
                classes=charsets.EMNIST_BYMERGE, transposed=True),
        IdxSpec("emnist-balanced", "emnist", "EMNIST Balanced: 47 classes, equal counts",
                classes=charsets.EMNIST_BYMERGE, transposed=True),
        IdxSpec("emnist-letters", "emnist", "EMNIST Letters: 26 case-insensitive classes",
                classes=charsets.EMNIST_LETTERS, transposed=True, label_offset=1),
        IdxSpec("emnist-digits", "emnist", "EMNIST Digits: 10 classes",
                classes=charsets.DIGITS, transposed=True),
        IdxSpec("emnist-mnist", "emnist", "EMNIST MNIST: 10 classes, MNIST-sized",
                classes=charsets.DIGITS, transposed=True),
        FolderSpec(ORAND_FOLDER, ORAND_FOLDER, "ORAND-CAR-A cheque amounts (research use; gt.tsv + images)",
                   marker="gt.tsv"),
        FolderSpec(SIGN_DATA, "signatures/sign_data_sigcomp2011",
                   "SigComp 2011 signatures, sign_data layout (ocr train signature)"),
        FolderSpec(FUNSD, "funsd", "FUNSD: noisy scanned forms (~100 dpi faxes and photocopies; "
                   "images/ + annotations/ of words with boxes), for evaluation only",
                   marker="annotations"),
        FolderSpec(TESTAMENTS, "handwriting/testaments-de-poilus",
                   "Testaments de Poilus: 2,757 real French cursive lines of 125 writers "
                   "(lines.tsv + line images), split by writer", marker="lines.tsv"),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """Return the spec of a dataset by name, with a helpful error for unknown names."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataError(f"unknown dataset {name!r}; known datasets: {known}") from None


def get_idx_spec(name: str) -> IdxSpec:
    """The spec of an MNIST-style dataset, refusing folder datasets with a clear message."""
    spec = get_spec(name)
    if not isinstance(spec, IdxSpec):
        idx = ", ".join(n for n, s in DATASETS.items() if isinstance(s, IdxSpec))
        raise DataError(f"{name}: not a glyph dataset ({spec.description}); glyph datasets: {idx}")
    return spec


def parse_dataset_split(text: str, default_split: str = "test") -> tuple[str, str]:
    """Parse ``NAME`` or ``NAME:SPLIT``."""
    name, _, split = text.partition(":")
    return name, split or default_split


def not_found(spec: DatasetSpec, what: str, data_dir: str | os.PathLike | None = None) -> DatasetNotFoundError:
    """The one-line error for missing data: what, where it was looked for, how to get it."""
    where = ", ".join(str(d) for d in data_search_dirs(data_dir))
    return DatasetNotFoundError(f"{spec.name}: {what} not found (looked in {where}); {spec.missing_hint()}")


def check_data_dir(data_dir: str | os.PathLike | None) -> None:
    """An explicit data folder that does not exist is a mistake worth saying so."""
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DatasetNotFoundError(f"data directory {data_dir} does not exist")
