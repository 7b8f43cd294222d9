"""Who issues AAMVA driver licences and ID cards: issuer identification numbers (IIN) and
jurisdiction codes of the USA and Canada."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issuer:
    code: str  # two-letter jurisdiction code, as written in the address element DAJ
    name: str
    country: str  # ISO 3166 alpha-2: "US" or "CA"


# The AAMVA IIN list. Mexican states and the US Department of State also hold IINs; their
# cards are not read here, so their numbers are absent and such barcodes are refused.
_US = {
    "636000": ("VA", "Virginia"), "636001": ("NY", "New York"), "636002": ("MA", "Massachusetts"),
    "636003": ("MD", "Maryland"), "636004": ("NC", "North Carolina"), "636005": ("SC", "South Carolina"),
    "636006": ("CT", "Connecticut"), "636007": ("LA", "Louisiana"), "636008": ("MT", "Montana"),
    "636009": ("NM", "New Mexico"), "636010": ("FL", "Florida"), "636011": ("DE", "Delaware"),
    "636014": ("CA", "California"), "636015": ("TX", "Texas"), "636018": ("IA", "Iowa"),
    "636019": ("GU", "Guam"), "636020": ("CO", "Colorado"), "636021": ("AR", "Arkansas"),
    "636022": ("KS", "Kansas"), "636023": ("OH", "Ohio"), "636024": ("VT", "Vermont"),
    "636025": ("PA", "Pennsylvania"), "636026": ("AZ", "Arizona"), "636029": ("OR", "Oregon"),
    "636030": ("MO", "Missouri"), "636031": ("WI", "Wisconsin"), "636032": ("MI", "Michigan"),
    "636033": ("AL", "Alabama"), "636034": ("ND", "North Dakota"), "636035": ("IL", "Illinois"),
    "636036": ("NJ", "New Jersey"), "636037": ("IN", "Indiana"), "636038": ("MN", "Minnesota"),
    "636039": ("NH", "New Hampshire"), "636040": ("UT", "Utah"), "636041": ("ME", "Maine"),
    "636042": ("SD", "South Dakota"), "636043": ("DC", "District of Columbia"),
    "636045": ("WA", "Washington"), "636046": ("KY", "Kentucky"), "636047": ("HI", "Hawaii"),
    "636049": ("NV", "Nevada"), "636050": ("ID", "Idaho"), "636051": ("MS", "Mississippi"),
    "636052": ("RI", "Rhode Island"), "636053": ("TN", "Tennessee"), "636054": ("NE", "Nebraska"),
    "636055": ("GA", "Georgia"), "636058": ("OK", "Oklahoma"), "636059": ("AK", "Alaska"),
    "636060": ("WY", "Wyoming"), "636061": ("WV", "West Virginia"), "636062": ("VI", "U.S. Virgin Islands"),
    "604427": ("AS", "American Samoa"), "604430": ("MP", "Northern Mariana Islands"),
    "604431": ("PR", "Puerto Rico"),
}
_CA = {
    "636012": ("ON", "Ontario"), "636013": ("NS", "Nova Scotia"), "636016": ("NL", "Newfoundland and Labrador"),
    "636017": ("NB", "New Brunswick"), "636028": ("BC", "British Columbia"), "636044": ("SK", "Saskatchewan"),
    "636048": ("MB", "Manitoba"), "604426": ("PE", "Prince Edward Island"), "604428": ("QC", "Quebec"),
    "604429": ("YT", "Yukon"), "604432": ("AB", "Alberta"), "990876": ("AB", "Alberta"),
    "604433": ("NU", "Nunavut"), "604434": ("NT", "Northwest Territories"),
}
ISSUERS: dict[str, Issuer] = {
    **{iin: Issuer(code, name, "US") for iin, (code, name) in _US.items()},
    **{iin: Issuer(code, name, "CA") for iin, (code, name) in _CA.items()},
}

# Codes that may stand in an address (DAJ): every issuer above plus the armed forces' postal
# "states" (AA, AE, AP), which appear in mailing addresses.
JURISDICTION_CODES = frozenset({issuer.code for issuer in ISSUERS.values()} | {"AA", "AE", "AP"})


def issuer_of(iin: str) -> Issuer | None:
    return ISSUERS.get(iin)
