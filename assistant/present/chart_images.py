"""Charts as images, for channels that cannot run Vega-Lite: Slack uploads, notebook reports.

Rendered offline by `vl-convert` (a Rust build of Vega with no browser and no
network). A spec sized to its container (`"width": "container"`, as the chat
page draws it) gets a fixed width here.
"""

from __future__ import annotations

import copy

DEFAULT_WIDTH = 640


def sized_spec(spec: dict, width: int = DEFAULT_WIDTH) -> dict:
    """A copy of the spec with a fixed width (and height) where it was sized to its container."""
    sized = copy.deepcopy(spec)
    if sized.get("width") in (None, "container"):
        sized["width"] = width
    if sized.get("height") == "container":
        sized["height"] = 280
    return sized


def _for_image(spec: dict, width: int) -> dict:
    sized = sized_spec(spec, width)
    sized.setdefault("background", "white")
    return sized


def chart_png(spec: dict, width: int = DEFAULT_WIDTH, scale: float = 2.0) -> bytes:
    """A PNG of the chart (scale 2 for sharp text on high-density screens)."""
    import vl_convert

    return vl_convert.vegalite_to_png(_for_image(spec, width), scale=scale)


def chart_svg(spec: dict, width: int = DEFAULT_WIDTH) -> str:
    """An SVG of the chart, for HTML reports."""
    import vl_convert

    return vl_convert.vegalite_to_svg(_for_image(spec, width))
