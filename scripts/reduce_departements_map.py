"""Reduce pygal_maps_fr's fr.departments.svg (LGPL-3.0-or-later, Kozea) to the small map the
watch ships (monitoring/data/fr_departements.svg): absolute coordinates rounded to whole
units of a 1000-wide box, Bézier curves flattened to their end points, points closer than one
unit dropped, then each ring simplified (Ramer-Douglas-Peucker, TOLERANCE units); the
groups' classes (z<code> departement map-element) kept for pygal's BaseMap.

Run once by hand: python scripts/reduce_departements_map.py SOURCE.svg OUT.svg
(SOURCE from `pip download pygal_maps_fr==1.1.0`, inside the wheel.)
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
SCALE = 0.5  # 2000 -> 1000 units wide: one unit is still under a pixel on a wall screen
TOLERANCE = 0.6  # a point off the simplified line by less than this is dropped
TOKEN = re.compile(r"[MmCcLlZzHhVv]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def rings(d: str, dx: float, dy: float) -> list[list[tuple[int, int]]]:
    """The path's subpaths as absolute points (curves by their end points)."""
    tokens = TOKEN.findall(d)
    out: list[list[tuple[float, float]]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    cmd = ""
    i = 0
    ring: list[tuple[float, float]] = []

    def num() -> float:
        nonlocal i
        i += 1
        return float(tokens[i - 1])

    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                if ring:
                    out.append(ring)
                ring = []
                x, y = start
                continue
        rel = cmd.islower()
        c = cmd.lower()
        if c == "m":
            nx, ny = num(), num()
            x, y = (x + nx, y + ny) if rel else (nx, ny)
            if ring:
                out.append(ring)
            ring = [(x, y)]
            start = (x, y)
            cmd = "l" if rel else "L"
        elif c == "l":
            nx, ny = num(), num()
            x, y = (x + nx, y + ny) if rel else (nx, ny)
            ring.append((x, y))
        elif c == "h":
            nx = num()
            x = x + nx if rel else nx
            ring.append((x, y))
        elif c == "v":
            ny = num()
            y = y + ny if rel else ny
            ring.append((x, y))
        elif c == "c":
            for _ in range(4):
                num()
            nx, ny = num(), num()
            x, y = (x + nx, y + ny) if rel else (nx, ny)
            ring.append((x, y))
        else:
            raise ValueError(f"path command {cmd!r} not handled")
    if ring:
        out.append(ring)
    result = []
    for r in out:
        pts: list[tuple[int, int]] = []
        for px, py in r:
            p = (round((px + dx) * SCALE), round((py + dy) * SCALE))
            if not pts or p != pts[-1]:
                pts.append(p)
        # A closed ring: split at its farthest point so both ends are kept.
        if len(pts) >= 3:
            far = max(range(len(pts)), key=lambda i: (pts[i][0] - pts[0][0]) ** 2
                      + (pts[i][1] - pts[0][1]) ** 2)
            pts = simplified(pts[:far + 1])[:-1] + simplified(pts[far:] + [pts[0]])[:-1]
        if len(pts) >= 3:
            result.append(pts)
    return result


def simplified(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ramer-Douglas-Peucker: the points farther than TOLERANCE from the line of the ones kept."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    far, index = 0.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        d = (abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / length if length
             else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
        if d > far:
            far, index = d, i
    if far <= TOLERANCE:
        return [points[0], points[-1]]
    return simplified(points[:index + 1])[:-1] + simplified(points[index:])


def path_data(rs: list[list[tuple[int, int]]]) -> str:
    """M x y then relative whole-unit moves (short, and no rounding drift: the points are
    rounded absolute ones)."""
    parts = []
    for r in rs:
        (x0, y0), rest = r[0], r[1:]
        moves = []
        px, py = x0, y0
        for x, y in rest:
            moves.append(f"{x - px} {y - py}")
            px, py = x, y
        parts.append(f"M{x0} {y0}l" + " ".join(moves).replace(" -", "-") + "z")
    return "".join(parts)


def main(source: str, target: str) -> None:
    root = ET.parse(source).getroot()
    top = root.find(f"{NS}g[@id='departements']")
    assert top is not None
    dx, dy = map(float, re.findall(r"[-\d.]+", top.get("transform", "")))
    lines = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 949">']
    for group_id, shift in (("departements", (dx, dy)), ("paris-petite-couronne", (0.0, 0.0)),
                            ("dom-com", (0.0, 0.0))):
        group = root.find(f".//{NS}g[@id='{group_id}']")
        assert group is not None, group_id
        lines.append(f'<g id="{group_id}">')
        for area in group.iter(f"{NS}g"):
            cls = area.get("class")
            if not cls or "map-element" not in cls:
                continue
            rs = [r for p in area.iter(f"{NS}path") for r in rings(p.get("d", ""), *shift)]
            if rs:
                lines.append(f'<g class="{cls}"><path d="{path_data(rs)}"/></g>')
        lines.append("</g>")
    lines.append("</svg>")
    with open(target, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
