#!/usr/bin/env python3
"""Cuts Dungeon Crawl Stone Soup's 32x32 tile sheets into single RGBA PNG tiles.

    cut_crawl_tiles.py TILES_DIR OUT_DIR [SHEET ...]

Python's standard library only (zlib for PNG). The sheets cut are the grids: feat (dungeon
features: altars, doors, fountains, statues, trees, traps), floor and wall, 1024 pixels wide
and a multiple of 32 high, whose tiles crawl's packer places untrimmed, 32 to a row. The
other sheets (main: items; player: monsters and player doll parts; gui, icons) are packed
differently: the packer trims each tile to its bounding box and stacks the boxes in columns
with no gap, so no grid exists, neighbouring sprites touch, and where one tile ends is
recorded only in tables compiled into the game; they are refused rather than cut wrongly.
Fully transparent cells are dropped. Tiles go to OUT_DIR/<sheet>/<sheet>_NNNNN.png in
reading order (row by row); the counts are printed.
"""
import os
import struct
import sys
import zlib

TILE = 32
GRID_SHEETS = ("feat", "floor", "wall")


def read_png(path):
    """8-bit RGBA, non-interlaced PNG -> (width, height, bytearray of RGBA rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, colour, _, _, interlace = header
    if (depth, colour, interlace) != (8, 6, 0):
        raise SystemExit(f"{path}: expected 8-bit RGBA without interlacing")
    raw, stride, bpp = zlib.decompress(b"".join(idat)), w * 4, 4
    out, prev = bytearray(h * stride), bytearray(stride)
    for y in range(h):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return w, h, out


def write_png(path, w, h, rgba):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\x00" + bytes(rgba[y * w * 4:(y + 1) * w * 4]) for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def crop(w, rgba, x0, y0):
    """The 32x32 RGBA block at (x0, y0)."""
    tile = bytearray(TILE * TILE * 4)
    for y in range(TILE):
        src = ((y0 + y) * w + x0) * 4
        tile[y * TILE * 4:(y + 1) * TILE * 4] = rgba[src:src + TILE * 4]
    return tile


def opaque(tile):
    return any(tile[3::4])


def grid_tiles(w, h, rgba):
    for ty in range(h // TILE):
        for tx in range(w // TILE):
            yield crop(w, rgba, tx * TILE, ty * TILE)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    tiles_dir, out_dir = sys.argv[1], sys.argv[2]
    sheets = sys.argv[3:] or list(GRID_SHEETS)
    total = 0
    for sheet in sheets:
        if sheet not in GRID_SHEETS:
            raise SystemExit(f"{sheet}: not a grid sheet (those are {', '.join(GRID_SHEETS)})")
        w, h, rgba = read_png(os.path.join(tiles_dir, sheet + ".png"))
        if w % TILE or h % TILE:
            raise SystemExit(f"{sheet}.png: {w}x{h} is not a grid of {TILE}x{TILE} tiles")
        folder = os.path.join(out_dir, sheet)
        os.makedirs(folder, exist_ok=True)
        count = 0
        for tile in grid_tiles(w, h, rgba):
            if opaque(tile):
                write_png(os.path.join(folder, f"{sheet}_{count:05d}.png"), TILE, TILE, tile)
                count += 1
        print(f"{sheet}: {count} tiles of {(w // TILE) * (h // TILE)} cells -> {folder}")
        total += count
    print(f"{total} tiles in {len(sheets)} categories under {out_dir}")


if __name__ == "__main__":
    main()
