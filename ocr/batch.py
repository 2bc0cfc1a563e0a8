"""Batch OCR into a folder: one result file per input, resumable after a crash.

``ocr read INPUT... --out-dir DIR`` and the Ray runner (:mod:`ocr.ray_batch`)
share this module, so both name, skip and write outputs the same way:

* :func:`plan` lists the inputs (directories walked recursively, the output
  folder never among them) and names each input's result: a file inside a
  directory argument keeps its path relative to that directory, a file
  argument its name; the suffix becomes the format's (``scans/a/b.png`` ->
  ``DIR/a/b.txt``). Formats that hold one page per file (``page``) write
  ``NAME-1.xml``, ``NAME-2.xml``, ... for every input, so names never depend
  on page counts. Two inputs that would share a name are an error before any
  work.
* :func:`run_batch` reads the inputs in order, writes each input's result
  atomically once all its pages are read (a killed run leaves complete files
  only), and skips an input whose result already exists unless ``force``:
  a rerun resumes where the last one stopped. An input with a page that
  cannot be read gets no result and is listed as failed.
* :func:`write_failures` writes ``DIR/failures.tsv`` (input, error), or
  removes it when nothing failed.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from ocr import formats
from ocr.errors import ImageError, OcrError, OutputError
from ocr.fileio import (InputFiles, check_folder, describe_os_error, write_bytes_atomic,
                        write_text_atomic)
from ocr.io import IMAGE_SUFFIXES, PageImage, open_pages

if TYPE_CHECKING:  # pragma: no cover
    from ocr.pipeline import Predictor

log = logging.getLogger(__name__)

#: The failures list, in the output folder (no input may be named so).
FAILURES_NAME = "failures.tsv"
#: How many collisions an error message lists.
_SHOWN = 3


@dataclass(frozen=True)
class Job:
    """One input and the name of its result, relative to the output folder, without suffix."""

    source: str
    name: str  # POSIX path, e.g. "sub/scan"


@dataclass(frozen=True)
class Plan:
    """The inputs of a batch, named, and where and how their results are written."""

    jobs: tuple[Job, ...]
    out_dir: str
    fmt: str
    #: File arguments inside the output folder: a result must never replace one.
    protected: tuple[str, ...] = ()
    #: The folder relative inputs and ``out_dir`` are relative to ("" for the current one): a Ray
    #: worker runs elsewhere, and results still name each input as it was given.
    cwd: str = ""

    def path(self, relative: str) -> str:
        """Where ``relative`` (an input, the output folder) is, seen from this process."""
        return os.path.join(self.cwd, relative) if self.cwd else relative

    def outputs(self, job: Job, pages: int = 1) -> list[Path]:
        """The result files of ``job`` (``pages`` of them for one-page-per-file formats)."""
        spec = formats.get(self.fmt)
        base = Path(self.path(self.out_dir), *job.name.split("/"))
        if spec.one_page:
            return [base.with_name(f"{base.name}-{i}{spec.suffix}") for i in range(1, pages + 1)]
        return [base.with_name(base.name + spec.suffix)]


@dataclass
class Outcome:
    """What became of one input: ``read``, ``skipped`` (its result existed) or ``failed``."""

    job: Job
    status: str
    pages: int = 0
    error: str = ""


@dataclass
class Summary:
    read: int = 0
    skipped: int = 0
    failed: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.status == "read":
            self.read += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            self.failed.append(outcome)

    def line(self) -> str:
        return f"read {self.read}, skipped {self.skipped}, failed {len(self.failed)}"


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), folder]) == folder
    except ValueError:  # different drives
        return False


def _walk(root: str, out_real: str) -> Iterator[tuple[str, str]]:
    """Image files under ``root`` (sorted, links to folders not followed), the output folder pruned."""
    def fail(exc: OSError) -> None:
        log.warning("%s", describe_os_error(exc))

    for folder, dirs, files in os.walk(root, onerror=fail):
        if os.path.realpath(folder) == out_real:
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES and os.path.isfile(path):
                yield path, Path(os.path.relpath(path, root)).as_posix()


def plan(inputs: Sequence[str], out_dir: str | os.PathLike, fmt: str = "text") -> Plan:
    """Name the result of every input, before any work.

    Raises :class:`OutputError` when two inputs would share a result name,
    when an input would be written over the failures list, or when the
    output folder cannot be written; :class:`ImageError` for ``-`` (stdin has
    no name to write a result under) or when there is nothing to read.
    """
    spec = formats.get(fmt)
    out_dir = os.fspath(out_dir)
    check_folder(out_dir, "--out-dir")
    out_real = os.path.realpath(out_dir)
    jobs: list[Job] = []
    protected: list[str] = []
    for item in inputs:
        if item == "-":
            raise ImageError("-: --out-dir needs files or folders to name results after, not stdin")
        if os.path.isdir(item):
            found = list(_walk(item, out_real))
            if not found:
                log.warning("%s: folder has no image files", item)
            jobs.extend(Job(path, os.path.splitext(rel)[0]) for path, rel in found)
        else:  # a file, or a missing path: reading it reports the problem and the others go on
            if _inside(item, out_real):
                protected.append(item)
            jobs.append(Job(item, os.path.splitext(os.path.basename(item))[0] or os.path.basename(item)))
    if not jobs:
        raise ImageError(f"nothing to read: {', '.join(inputs)} holds no image or PDF files "
                         f"({', '.join(sorted(set(IMAGE_SUFFIXES)))})")
    # The same file named twice (a folder and a file in it) is one input.
    result = Plan(tuple(dict.fromkeys(jobs)), out_dir, fmt, tuple(protected))
    _check_names(result, spec)
    return result


def _check_names(plan: Plan, spec: formats.Format) -> None:
    # Case-folded: on a case-insensitive file system A.txt and a.txt are one file.
    seen: dict[str, str] = {FAILURES_NAME.casefold(): "the failures list"}
    clashes: list[str] = []
    for job in plan.jobs:
        key = (job.name + ("" if spec.one_page else spec.suffix)).casefold()
        other = seen.setdefault(key, job.source)
        if other != job.source:
            clashes.append(f"{job.source} and {other} -> {job.name}{'-N' if spec.one_page else ''}"
                           f"{spec.suffix}")
    if clashes:
        more = f" (and {len(clashes) - _SHOWN} more)" if len(clashes) > _SHOWN else ""
        raise OutputError(f"--out-dir: inputs would share a result file: {'; '.join(clashes[:_SHOWN])}{more}; "
                          "rename them or read them in separate runs")


@dataclass
class _Entry:
    job: Job
    status: str = "read"
    error: str = ""
    expected: int | None = None  # pages, once the input's pages were all taken
    done: int = 0                # pages read or failed
    pages: list = field(default_factory=list)
    images: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.expected is not None and self.done >= self.expected


def _fail(entry: _Entry, error: str) -> None:
    if entry.status != "failed":  # the first error names the cause
        entry.status, entry.error = "failed", error


def run_batch(plan: Plan, predictor: "Predictor", *, force: bool = False, jobs: int = 1,
              dpi: float | None = None, on_outcome: Callable[[Outcome], None] | None = None) -> Summary:
    """Read ``plan``'s inputs with ``predictor``, writing each result into ``plan.out_dir``.

    Pages of all inputs flow through one :meth:`Predictor.iter_read`, so
    preparing the next input overlaps recognizing this one; each input's
    result is rendered and written atomically as soon as its last page is
    read. ``on_outcome`` is called once per input, in input order.
    """
    spec = formats.get(plan.fmt)
    protected = InputFiles([plan.path(p) for p in plan.protected])
    summary = Summary()
    entries: deque[_Entry] = deque()
    by_source: dict[str, _Entry] = {}

    def done(path: Path) -> bool:
        return os.path.isfile(path)

    def pages() -> Iterator[PageImage]:
        for job in plan.jobs:
            entry = _Entry(job)
            entries.append(entry)
            if not force and not spec.one_page and done(plan.outputs(job)[0]):
                entry.status, entry.expected = "skipped", 0
                continue
            try:
                source = open_pages(plan.path(job.source), name=job.source)
            except ImageError as exc:
                _fail(entry, str(exc))
                entry.expected = 0
                continue
            if not force and spec.one_page and all(done(p) for p in plan.outputs(job, len(source))):
                entry.status, entry.expected = "skipped", 0
                continue
            by_source[source.name] = entry
            taken = 0
            try:
                for page in source:
                    taken += 1
                    yield page
            except ImageError as exc:  # a page that cannot be decoded, after the pages before it
                _fail(entry, str(exc))
            entry.expected = taken

    def page_failed(page: PageImage, exc: OcrError) -> None:
        entry = by_source[page.source]
        entry.done += 1
        _fail(entry, str(exc))

    def flush() -> None:
        while entries and entries[0].complete:
            entry = entries.popleft()
            by_source.pop(entry.job.source, None)
            outcome = _finish(entry)
            summary.add(outcome)
            if on_outcome:
                on_outcome(outcome)

    def _finish(entry: _Entry) -> Outcome:
        if entry.status != "read":
            return Outcome(entry.job, entry.status, entry.done, entry.error)
        try:
            _write(entry)
        except (OcrError, OSError) as exc:
            message = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            return Outcome(entry.job, "failed", len(entry.pages), message)
        return Outcome(entry.job, "read", len(entry.pages))

    def _write(entry: _Entry) -> None:
        from ocr.document import Document

        doc = Document(entry.pages, model=predictor.recognizer.model_name)
        options: dict = {"images": entry.images} if plan.fmt == "pdf" else {}
        if plan.fmt in ("hocr", "page", "pdf"):
            options["dpi"] = dpi
        rendered = formats.render_pages(doc, plan.fmt, **options)
        targets = plan.outputs(entry.job, len(rendered))
        for target in targets:
            source = protected.which(target)
            if source is not None:
                raise OutputError(f"{target}: result is also an input ({source}); refusing to overwrite it")
        for target, data in zip(targets, rendered):  # in order: the last file marks the input done
            (write_bytes_atomic if isinstance(data, bytes) else write_text_atomic)(target, data)

    for image, page in predictor.iter_read(pages(), jobs=jobs, on_error=page_failed):
        entry = by_source[page.source]
        entry.done += 1
        entry.pages.append(page)
        if plan.fmt == "pdf":
            from ocr.formats.pdf import encode_image

            entry.images.append(encode_image(image.image))
        flush()
    flush()
    assert not entries, "every input is finished once the pages are"
    return summary


def write_failures(out_dir: str | os.PathLike, failed: Sequence[Outcome]) -> Path | None:
    """Write ``DIR/failures.tsv`` (input, error) atomically; remove it when nothing failed."""
    path = Path(out_dir) / FAILURES_NAME
    if not failed:
        path.unlink(missing_ok=True)
        return None
    clean = lambda s: " ".join(str(s).split())  # noqa: E731  (one row per failure, no tabs inside)
    rows = ["input\terror"] + [f"{clean(o.job.source)}\t{clean(o.error)}" for o in failed]
    write_text_atomic(path, "\n".join(rows) + "\n")
    return path
