"""The Debian font packages the renders treat apart, in one table for both of them.

Handwriting faces draw the handwriting line model's synthetic lines
(:mod:`training.handwriting_fonts`) and never the print renders
(:mod:`training.synth`): handwriting is not print. Display faces installed
beside them (fonts-dustin's Wargames, Junkyard, Penguin Attack..., fonts-isabella's
blackletter) draw neither. A leaf module, so that both renders read it without
importing each other.
"""

from __future__ import annotations

from pathlib import Path

#: Debian packages of handwriting fonts and their faces' files, as glob patterns under
#: /usr/share/fonts (a package such as fonts-dustin also installs faces that are no hand).
HAND_FONT_PACKAGES = {
    "fonts-ecolier-court": "truetype/ecolier-court/*", "fonts-dancingscript": "opentype/dancingscript/*",
    "fonts-kristi": "truetype/kristi/*", "fonts-dkg-handwriting": "truetype/fifthhorseman/*",
    "fonts-breip": "truetype/breip/*", "fonts-bwht": "opentype/bwht/*", "fonts-femkeklaver": "truetype/femkeklaver/*",
    "fonts-humor-sans": "truetype/humor-sans/*", "fonts-comic-neue": "opentype/comic-neue/*",
    "fonts-rufscript": "truetype/rufscript/*", "fonts-tlwg-purisa-ttf": "truetype/tlwg/Purisa*",
    "fonts-leckerli-one": "truetype/leckerli-one/*", "fonts-lobstertwo": "opentype/lobstertwo/*",
    "fonts-staypuft": "truetype/staypuft/*", "fonts-tomsontalks": "truetype/tomsontalks/*",
    "fonts-dustin": "truetype/dustin/Domestic_Manners*",
}
#: Display faces (and Dustismo, in the same folder): no text print. Installed, they were drawn
#: into the rendered print test lines, read by the bundled print model at 21.5% CER
#: (tests/models/test_bundled.py's ceiling: 16%). fonts-lobster (a brush script, which
#: fonts-lobstertwo pulls in) named itself "Lobster Two" among the print families.
DISPLAY_FONT_PATTERNS = ("truetype/dustin/*", "truetype/isabella/*", "opentype/lobster/*")


def is_hand_or_display_font(path: str | Path) -> bool:
    """Whether a font file is a handwriting or display face, which the print renders leave out."""
    path = Path(path)
    return any(path.match(pattern) for pattern in (*HAND_FONT_PACKAGES.values(), *DISPLAY_FONT_PATTERNS))
