"""Word lists and vectorised builders for names, domains and emails.

Company names are a pure function of the company's global index (a permutation of
mixed-radix word combinations), so deals can name their company without reading the
companies table, and names and domains are unique.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAME_HEAD = _words(
    "Blue Bright North South East West Silver Golden Red Green Iron Stone Clear Swift True "
    "Prime Summit Harbor River Cedar Maple Oak Pine Falcon Eagle Fox Wolf Bear Lion Orbit "
    "Nova Stellar Quantum Vector Pixel Cloud Data Logic Signal Beacon Anchor Bridge Crest "
    "Delta Ember Frost Granite Horizon Indigo Juniper Kestrel Lumen Meridian Nimbus Onyx "
    "Polar Quartz Radiant Sable Tidal Umber"
)
NAME_TAIL = _words(
    "wave stone field point works line path gate forge light scale stack shift peak craft "
    "wise flow mark bay core hub leaf ridge well yard grove spring vale brook port sight "
    "smith view wing bit byte mind sense form base loop cast"
)
NAME_KIND = _words(
    "Analytics Systems Logistics Health Capital Software Robotics Energy Foods Media Labs "
    "Networks Security Partners Solutions Industries Consulting Retail Bio Finance Travel "
    "Insurance Manufacturing Learning Mobility Payments Devices Materials Marine Studios"
)
TLDS = ("com", "io", "co", "net", "de", "co.uk", "fr", "nl")

FIRST_NAMES = _words(
    "anna ben clara david emma felix grace henry isla jack julia karl laura leo lucas maria "
    "max mia noah olivia oscar paul sara sofia tom lena jonas ella finn nora liam emil hannah "
    "elias amelia louis chloe hugo alice adam eva samuel zoe daniel ida victor ruby arthur "
    "nina theo rosa"
)
LAST_NAMES = _words(
    "smith mueller schmidt johnson brown martin bernard dubois garcia rossi bianchi jansen "
    "devries nielsen hansen olsen berg lindqvist novak kowalski murphy kelly walsh taylor "
    "wilson davies evans thomas roberts wright walker white green hall wood clarke moreau "
    "laurent fischer weber wagner becker hoffmann schulz koch richter klein wolf neumann"
)
FREEMAIL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")

_N_COMBOS = len(NAME_HEAD) * len(NAME_TAIL) * len(NAME_KIND)
_PERMUTE = 104_729  # a prime coprime with _N_COMBOS: spreads consecutive ids over the lists


def _pick(words: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(words, dtype=object)[idx], pa.string())


def company_names(company_index: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """(name, domain) of companies by global index; unique for any number of companies."""
    code = (company_index * _PERMUTE) % _N_COMBOS
    kind = code % len(NAME_KIND)
    tail = (code // len(NAME_KIND)) % len(NAME_TAIL)
    head = code // (len(NAME_KIND) * len(NAME_TAIL))
    lap = company_index // _N_COMBOS  # beyond the word combinations, number the names
    stem = pc.binary_join_element_wise(_pick(NAME_HEAD, head), _pick(NAME_TAIL, tail), "")
    lap_str = pc.if_else(
        pa.array(lap > 0), pc.cast(pa.array(lap + 1), pa.string()), pa.scalar("", pa.string())
    )
    name = pc.binary_join_element_wise(stem, _pick(NAME_KIND, kind), " ")
    name = pc.utf8_trim_whitespace(pc.binary_join_element_wise(name, lap_str, " "))
    slug = pc.utf8_lower(pc.binary_join_element_wise(stem, _pick(NAME_KIND, kind), lap_str, ""))
    domain = pc.binary_join_element_wise(slug, _pick(TLDS, (code // 7) % len(TLDS)), ".")
    return name, domain


def hex_ids(rng: np.random.Generator, n: int, width: int = 16) -> pa.Array:
    """Random lowercase hex strings (cookie-style anonymous ids)."""
    nibbles = rng.integers(0, 16, size=(n, width), dtype=np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]
    return pa.array(chars.reshape(-1).view(f"S{width}"), pa.binary()).cast(pa.string())
