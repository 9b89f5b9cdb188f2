"""QR codes for the verification links printed on documents, as SVG (sharp at any print size)."""

import segno

# Medium error correction survives a smudged or folded printout and keeps the
# code small enough for a footer.
_ERROR = "m"


def _make(url: str) -> segno.QRCode:
    return segno.make(url, error=_ERROR, micro=False, boost_error=False)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline ``<svg>`` element encoding ``url`` (quiet zone included, black on white)."""
    return _make(url).svg_inline(scale=scale, dark="#000", light="#fff")


def qr_svg_data_uri(url: str, *, scale: int = 4) -> str:
    """A ``data:image/svg+xml`` URI encoding ``url``, for an ``<img src>``."""
    return _make(url).svg_data_uri(scale=scale, dark="#000", light="#fff")
