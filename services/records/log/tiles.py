"""C2SP tlog-tiles hash tiles: paths (``tile/<L>/<N>[.p/<W>]``, ``N`` as ``x001/234``), contents, and the tree
a verifier rebuilds from level-0 tiles.

A tile at level L holds up to 256 consecutive hashes of tree height 8·L: at level 0 the leaf hashes,
above that the Merkle Tree Hash of each full tile of the level below (RFC 6962 hashing throughout).
"""

import re

from .merkle import HASH_SIZE

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_INDEX = 1 << 56  # a tree of 2^64 leaves has fewer level-0 tiles than this

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")


class TileError(ValueError):
    """A tile path or a tile that is not what the spec allows."""


def encode_index(n):
    """``N`` in zero-padded 3-digit path elements, all but the last prefixed ``x``: 1234067 → ``x001/x234/067``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise TileError("a tile index is a non-negative integer")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level, n, width=TILE_WIDTH):
    """``tile/<L>/<N>`` for a full tile, ``tile/<L>/<N>.p/<W>`` for a partial one."""
    if not 0 <= level <= MAX_LEVEL:
        raise TileError("a tile level is between 0 and 63")
    if not 1 <= width <= TILE_WIDTH:
        raise TileError("a tile is 1 to 256 hashes wide")
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(n)}{suffix}"


def parse_tile_path(level_text, rest):
    """``(level, n, width)`` from the two parts of ``tile/<L>/<rest>``; TileError naming the fault.

    Only the canonical spelling is accepted (no leading zeroes, 3-digit groups, ``x`` on all but
    the last), so one tile has one URL and caches never hold two copies.
    """
    if not isinstance(level_text, str) or not _LEVEL.fullmatch(level_text) or int(level_text) > MAX_LEVEL:
        raise TileError("L is a decimal from 0 to 63 with no leading zeroes")
    width = TILE_WIDTH
    if ".p/" in rest:
        rest, width_text = rest.split(".p/", 1)
        if not _WIDTH.fullmatch(width_text) or int(width_text) >= TILE_WIDTH:
            raise TileError("W is a decimal from 1 to 255 with no leading zeroes")
        width = int(width_text)
    groups = rest.split("/")
    if not all(re.fullmatch(r"x[0-9]{3}", g) for g in groups[:-1]) or not re.fullmatch(r"[0-9]{3}", groups[-1]):
        raise TileError("N is 3-digit path elements, all but the last starting with x")
    n = int("".join(g.lstrip("x") for g in groups))
    if n >= MAX_INDEX:
        raise TileError("N is beyond any tree of 2^64 leaves")
    if encode_index(n) != rest:
        raise TileError("N has leading zero elements")
    return int(level_text), n, width


def stored_count(tree_size, level):
    """How many hashes level ``level`` holds for a tree of ``tree_size`` leaves (full subtrees only)."""
    return tree_size >> (TILE_HEIGHT * level)


def tile_available(tree_size, level, n, width):
    """True when the tree of ``tree_size`` leaves has every hash of this tile (full or partial)."""
    return n * TILE_WIDTH + width <= stored_count(tree_size, level)


def tile_bytes(tree, level, n, width):
    """The tile's bytes from a ``MerkleTree`` (hashes of height 8·level); TileError if the tree lacks them."""
    if not tile_available(tree.size, level, n, width):
        raise TileError(f"no tile {tile_path(level, n, width)} in a tree of {tree.size}")
    return tree.stored_range(TILE_HEIGHT * level, n * TILE_WIDTH, width)


def level0_tiles(tree_size):
    """``[(n, width)]`` of the level-0 tiles that together hold every leaf hash of a tree of ``tree_size``."""
    tiles = [(n, TILE_WIDTH) for n in range(tree_size // TILE_WIDTH)]
    if tree_size % TILE_WIDTH:
        tiles.append((tree_size // TILE_WIDTH, tree_size % TILE_WIDTH))
    return tiles


def upper_tiles(tree_size):
    """``[(level, n, width)]`` of every tile above level 0 that a tree of ``tree_size`` has."""
    tiles = []
    level = 1
    while stored_count(tree_size, level):
        count = stored_count(tree_size, level)
        tiles += [(level, n, TILE_WIDTH) for n in range(count // TILE_WIDTH)]
        if count % TILE_WIDTH:
            tiles.append((level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return tiles


def split_hashes(data, width):
    """The ``width`` 32-byte hashes of a tile's bytes; TileError if the length is not that."""
    if len(data) != width * HASH_SIZE:
        raise TileError(f"a tile of width {width} is {width * HASH_SIZE} bytes, got {len(data)}")
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]
