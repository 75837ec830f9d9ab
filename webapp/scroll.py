"""Bringing a result into view on a small screen, where it can land outside the window."""

from __future__ import annotations

import json


def into_view(elem_id: str) -> str:
    """JavaScript for an event's ``js`` (with no ``fn``): scroll the element ``elem_id`` to the top of the window
    when it starts above the window or in its lower quarter, e.g. a phone's verdict above a clicked example or
    results below the button; where it is already in view, nothing moves. Checked again half a second later:
    results drawn above it meanwhile (a chart, a table) can move it."""
    return (
        "() => { const go = () => { const el = document.getElementById(" + json.dumps(elem_id) + ");"
        " if (!el || !el.offsetParent) return;"
        " const top = el.getBoundingClientRect().top;"
        " if (top < -2 || top > 0.75 * window.innerHeight) el.scrollIntoView({behavior: 'smooth', block: 'start'}); };"
        " go(); setTimeout(go, 500); }"
    )
