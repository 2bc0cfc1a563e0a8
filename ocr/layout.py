"""Page layout: non-text regions set aside before line segmentation.

Pure numpy/OpenCV on an ink mask (bool, True = ink), between
:mod:`ocr.preprocess` and :mod:`ocr.segment`.

Why: a large dark region (a black scan border around a book page, a photo or
figure binarized into a solid blob, a thick bar) is one huge connected
component. Left in the mask it dominates every size statistic of the page
(the segmenter's typical character height is weighted by ink) and the
whole page comes out as a few huge "glyphs". Such components are no
character at any text size on the page, so they are removed from the mask
and reported as ``image`` (or ``rule``, for long solid bars) regions; ink
fragments clinging to them (the ragged edge of a scan border) go with them.
Halftones made of many small dots are set aside later, by texture, in
:func:`ocr.segment.set_aside_texture`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

from ocr.ink import as_u8, typical_component_height

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]

#: A component at least this many character heights tall AND wide, with an
#: ink area of at least :data:`BLOB_AREA` square character heights, is no
#: character (a drop cap three lines tall is about 4 heights and 6 square heights of ink).
BLOB_SIZE = 4.0
BLOB_AREA = 30.0
#: A solid bar: at least this many character heights long, filling most of its box.
BAR_LENGTH = 8.0
BAR_FILL = 0.6
#: Regions are only set aside on a page with at least this many components of
#: about the character height: on a field or a cheque amount (a few digits,
#: some specks) the "character height" is no measure, and a big handwritten
#: digit would look like a blob.
MIN_TEXT_COMPONENTS = 20
#: Nor on an image whose shorter side is under this many pixels: a field, a
#: cheque amount or a line image has no room for a photo beside its text, and
#: noise there passed the component count (ORAND-CAR-A a_car_000956, 93x177,
#: read as 59 digits once a speckled patch was set aside as an "image").
MIN_PAGE_SIDE = 256


@dataclass
class Region:
    """A non-text region: ``kind`` is ``image`` or ``rule`` (a block kind of :mod:`ocr.document`)."""

    kind: str
    box: Box


@dataclass
class PageLayout:
    """The text candidates of a page and the regions set aside."""

    text: np.ndarray                     # ink mask with the non-text regions removed
    regions: list[Region] = field(default_factory=list)
    char_height: float = 0.0


def analyse_layout(binary: np.ndarray, char_height: float | None = None) -> PageLayout:
    """Split an ink mask into text candidates and non-text regions (see the module's doc).

    ``char_height`` is the typical character height (:func:`ocr.preprocess.text_height`,
    an unweighted median that one huge component cannot move) when known.
    """
    binary = np.asarray(binary, dtype=bool)
    if min(binary.shape) < MIN_PAGE_SIDE:
        return PageLayout(binary, [], float(char_height or 0.0))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(as_u8(binary), connectivity=8)
    if n <= 1:
        return PageLayout(binary, [], 0.0)
    # text_height(binary), from this same labelling rather than a second one.
    h = float(char_height) if char_height else typical_component_height(stats[1:, cv2.CC_STAT_HEIGHT])
    h = max(h, 4.0)
    w_, h_, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    fill = area / np.maximum(w_ * h_, 1)
    if np.count_nonzero((h_[1:] >= 0.5 * h) & (h_[1:] <= 2 * h)) < MIN_TEXT_COMPONENTS:
        return PageLayout(binary, [], h)
    blob = (w_ >= BLOB_SIZE * h) & (h_ >= BLOB_SIZE * h) & (area >= BLOB_AREA * h * h)
    bar = (np.maximum(w_, h_) >= BAR_LENGTH * h) & (np.minimum(w_, h_) >= 0.3 * h) & (fill >= BAR_FILL)
    aside = blob | bar
    aside[0] = False
    if not aside.any():
        return PageLayout(binary, [], h)
    ids = np.nonzero(aside)[0]
    regions = [Region("image" if blob[i] else "rule",
                      (int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 0] + w_[i]), int(stats[i, 1] + h_[i])))
               for i in ids]
    mask = aside[labels]
    # Fragments clinging to a region (a scan border's ragged edge, a photo's
    # stray dots) go with it: components mostly within half a character height of it.
    k = max(3, int(round(h / 2)) | 1)
    near = cv2.dilate(as_u8(mask), cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))) > 0
    inside = np.bincount(labels[near], minlength=n)
    clinging = (inside >= 0.5 * area) & ~aside
    clinging[0] = False
    drop = aside | clinging
    text = binary & ~drop[labels]
    log.info("layout: set aside %d non-text regions (%s) and %d fragments next to them",
             len(regions), ", ".join(sorted({r.kind for r in regions})), int(clinging.sum()))
    return PageLayout(text, regions, h)
