"""Holders' names as printed (any script) and as the MRZ writes them (ICAO 9303 part 3,
section 6: transliteration of national characters).

Latin letters with diacritics follow the ICAO table's first choice (Ä → AE, Å → AA,
Ø → OE, Ñ → N, ß → SS, Þ → TH) and lose other diacritics; Cyrillic and Greek follow the
ICAO tables with the language-specific exceptions; Arabic and CJK names are printed with
the romanisation the issuing state uses (pairs, since no mechanical table applies).
"""

from __future__ import annotations

import unicodedata

import numpy as np

FILLER = "<"

# ICAO 9303-3 Latin table, first recommended form; letters not listed lose their diacritic.
LATIN_SPECIAL = {"Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Œ": "OE", "Ü": "UE",
                 "ß": "SS", "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L", "Ĳ": "IJ", "Ħ": "H", "ı": "I"}

CYRILLIC = {"А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Е": "E", "Ё": "E",
            "Є": "IE", "Ж": "ZH", "З": "Z", "И": "I", "І": "I", "Ї": "I", "Й": "I", "К": "K",
            "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
            "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH",
            "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
            "Ђ": "D", "Ј": "J", "Љ": "LJ", "Њ": "NJ", "Ћ": "C", "Џ": "DZ", "Ѓ": "G", "Ќ": "K",
            "Ѕ": "DZ"}
# Language exceptions of the ICAO Cyrillic table.
CYRILLIC_BY_LANGUAGE = {
    "uk": {"И": "Y", "Г": "H"},
    "be": {"Г": "H", "Ё": "IO"},
    "bg": {"Щ": "SHT", "Ъ": "A"},
    "sr": {"Ч": "C", "Ш": "S", "Ж": "Z", "Х": "H", "Ц": "C"},
}
GREEK = {"Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "TH",
         "Ι": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P",
         "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "CH", "Ψ": "PS", "Ω": "O"}


def to_mrz(name: str, language: str = "") -> str:
    """One printed name (any word count) in MRZ characters: words joined by '<', hyphens
    and spaces become fillers, apostrophes vanish (ICAO 9303-3, 4.6)."""
    out = []
    for ch in name.upper().replace("ΟΥ", "OU"):  # Greek digraph (ICAO table: OU)
        if ch in " -":
            out.append(FILLER)
        elif ch in "'’.,":
            continue
        elif "A" <= ch <= "Z":
            out.append(ch)
        elif ch in CYRILLIC:
            out.append(CYRILLIC_BY_LANGUAGE.get(language, {}).get(ch, CYRILLIC[ch]))
        elif ch in LATIN_SPECIAL:  # ß is already SS: str.upper() folds it
            out.append(LATIN_SPECIAL[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            base = GREEK.get(base, base)
            if len(base) == 1 and not ("A" <= base <= "Z") and base not in GREEK.values():
                raise ValueError(f"no transliteration for {ch!r} in {name!r}")
            out.append(base)
    return "".join(out)


# Name pools by script. Latin: with and without diacritics; the state draws the language.
LATIN_PLAIN = {
    "surnames": ["SMITH", "JOHNSON", "O'BRIEN", "MACDONALD", "NGUYEN", "OKAFOR", "KAMAU", "SINGH",
                 "PATEL", "WILLIAMS", "VAN DER BERG", "DE LA CRUZ", "SANTOS", "REYES", "TAN",
                 "MENSAH", "BROWN", "TAYLOR", "ANDERSEN", "ROSSI", "SILVA", "MARTIN", "KOWALSKI"],
    "given": ["JOHN", "MARY", "JAMES", "PATRICIA", "MICHAEL", "LINDA", "DAVID", "SARAH",
              "EMMANUEL", "GRACE", "RAJ", "PRIYA", "ANNA MARIA", "JEAN-PAUL", "OLIVIA ROSE",
              "CHIDI", "WANJIRU", "LUCAS", "SOFIA", "THOMAS EDWARD", "ELIZABETH"],
}
LATIN_DIACRITICS = {
    "surnames": ["MÜLLER", "SCHRÖDER", "GROSSE", "STRAßBURGER", "ÅSTRÖM", "JØRGENSEN", "NÚÑEZ",
                 "PEÑA", "GONÇALVES", "LÓPEZ GARCÍA", "DVOŘÁK", "NOVÁKOVÁ", "ŁUKASZEWSKI",
                 "WÓJCIK", "KOVÁČ", "HORVÁTH", "SZŐKE", "ÖZTÜRK", "ÇELİK", "JÓNSDÓTTIR",
                 "ÞÓRSSON", "NGUYỄN", "TRẦN", "ĐẶNG", "LEFÈVRE", "FRANÇOIS", "BÄCKSTRÖM",
                 "ČERNÝ", "ŠIMKUS", "BĒRZIŅŠ", "MÄKINEN", "SÆTHER", "HÆGGLUND", "DUMITRAȘCU"],
    "given": ["JÜRGEN", "RENÉE", "ZOË", "BJÖRN", "SØREN", "JOSÉ MARÍA", "IÑAKI", "JOÃO",
              "FRANÇOISE", "ANDRÉ", "MAŁGORZATA", "ŽANETA", "ŠTĚPÁN", "LÁSZLÓ", "ÁGNES",
              "GÜL", "ŞEBNEM", "HÅKAN", "ÆSA", "ÞÓRA", "HÉLÈNE", "ĐỨC", "THỊ HƯƠNG", "ČESLAV",
              "JĀNIS", "ÖMER", "ÉMILIE", "CLÉMENCE", "ÍRIS", "LEÓN"],
}
CYRILLIC_NAMES = {
    "ru": {"surnames": ["ИВАНОВ", "СМИРНОВА", "КУЗНЕЦОВ", "ПОПОВА", "СОКОЛОВ", "ЛЕБЕДЕВА",
                        "ЩЕРБАКОВ", "ЖУКОВА", "ХОХЛОВ", "ЦВЕТКОВА", "ЧЕРНЫШЁВ", "ЮДИНА", "ЯКОВЛЕВ"],
           "given": ["АЛЕКСАНДР", "ЮЛИЯ", "СЕРГЕЙ", "НАТАЛЬЯ", "ДМИТРИЙ", "ЕКАТЕРИНА",
                     "АНДРЕЙ", "ОЛЬГА", "МИХАИЛ", "ТАТЬЯНА", "ЕВГЕНИЙ", "КСЕНИЯ"]},
    "uk": {"surnames": ["ШЕВЧЕНКО", "КОВАЛЕНКО", "БОНДАРЕНКО", "ТКАЧЕНКО", "КРАВЧУК", "ГНАТЮК",
                        "МЕЛЬНИК", "ОЛІЙНИК", "ЄВТУШЕНКО"],
           "given": ["ОЛЕКСАНДР", "ОКСАНА", "ГРИГОРІЙ", "ІРИНА", "ЮРІЙ", "ЯРОСЛАВ", "МИКОЛА",
                     "ГАННА", "ВОЛОДИМИР"]},
    "be": {"surnames": ["ЛУКАШЭВІЧ", "КАВАЛЁЎ", "ГАНЧАРОЎ"],
           "given": ["ГАННА", "ЎЛАДЗІСЛАЎ", "АЛЕСЬ"]},
    "bg": {"surnames": ["ПЕТРОВ", "ГЕОРГИЕВА", "ДИМИТРОВ", "ЩЕРЕВ", "ЪГЛОВ"],
           "given": ["ГЕОРГИ", "МАРИЯ", "ИВАН", "ЦВЕТАНКА", "СТОЯН"]},
    "sr": {"surnames": ["ЈОВАНОВИЋ", "ПЕТРОВИЋ", "ЂОРЂЕВИЋ", "НИКОЛИЋ", "ЖИВКОВИЋ"],
           "given": ["МИЛОШ", "ЈЕЛЕНА", "ЉУБИЦА", "ЊЕГОШ", "ЧЕДОМИР"]},
    "kk": {"surnames": ["НАЗАРБАЕВ", "ЖУМАБЕКОВА", "СЕРИКОВ"],
           "given": ["НУРЛАН", "АЙГЕРИМ", "ЕРЛАН"]},
}
GREEK_NAMES = {"surnames": ["ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΓΕΩΡΓΙΟΥ", "ΝΙΚΟΛΑΪΔΗΣ", "ΧΑΤΖΗΔΑΚΗ", "ΨΑΡΡΑΣ",
                            "ΘΕΟΔΩΡΟΥ", "ΚΩΝΣΤΑΝΤΙΝΙΔΟΥ", "ΞΕΝΑΚΗΣ"],
               "given": ["ΓΙΑΝΝΗΣ", "ΜΑΡΙΑ", "ΔΗΜΗΤΡΙΟΣ", "ΕΛΕΝΗ", "ΘΕΟΦΙΛΟΣ", "ΑΙΚΑΤΕΡΙΝΗ",
                         "ΧΡΗΣΤΟΣ", "ΦΩΤΕΙΝΗ"]}
# (printed, as the MRZ writes it)
ARABIC_NAMES = {"surnames": [("العلي", "ALALI"), ("الحسن", "AL-HASSAN"), ("منصور", "MANSOUR"),
                             ("سعيد", "SAEED"), ("حداد", "HADDAD"), ("خوري", "KHOURY"),
                             ("عبد الله", "ABDULLAH"), ("الشمري", "ALSHAMMARI"), ("ناصر", "NASSER")],
                "given": [("محمد", "MOHAMMED"), ("أحمد", "AHMED"), ("فاطمة", "FATIMA"), ("عمر", "OMAR"),
                          ("ليلى", "LAILA"), ("يوسف", "YOUSEF"), ("مريم", "MARIAM"),
                          ("عبد الرحمن", "ABDUL RAHMAN"), ("نور", "NOUR")]}
CJK_NAMES = {
    "zh": {"surnames": [("王", "WANG"), ("李", "LI"), ("张", "ZHANG"), ("刘", "LIU"), ("陈", "CHEN"),
                        ("欧阳", "OUYANG"), ("黄", "HUANG")],
           "given": [("伟", "WEI"), ("秀英", "XIUYING"), ("芳", "FANG"), ("志强", "ZHIQIANG"),
                     ("静怡", "JINGYI"), ("磊", "LEI")]},
    "ja": {"surnames": [("佐藤", "SATO"), ("鈴木", "SUZUKI"), ("高橋", "TAKAHASHI"), ("渡辺", "WATANABE")],
           "given": [("太郎", "TARO"), ("花子", "HANAKO"), ("大輝", "DAIKI"), ("陽菜", "HINA")]},
    "ko": {"surnames": [("김", "KIM"), ("이", "LEE"), ("박", "PARK"), ("최", "CHOI"), ("정", "JEONG")],
           "given": [("민준", "MINJUN"), ("서연", "SEOYEON"), ("지호", "JIHO"), ("하은", "HAEUN")]},
}

# Script → pools. The state table in ``states.py`` names the script and language.
SCRIPTS = ("latin", "latin-diacritics", "cyrillic", "greek", "arabic", "cjk")


def draw_name(rng: np.random.Generator, script: str, language: str) -> tuple[str, str, str, str]:
    """(printed surname, printed given names, MRZ surname, MRZ given names)."""
    def pick(seq):  # noqa: ANN001, ANN202
        return seq[int(rng.integers(len(seq)))]

    def given_words(pool, most: int):  # noqa: ANN001, ANN202
        return [pick(pool) for _ in range(int(rng.integers(1, most + 1)))]

    if script in ("latin", "latin-diacritics"):
        pool = LATIN_DIACRITICS if script == "latin-diacritics" else LATIN_PLAIN
        surname = pick(pool["surnames"])
        given = " ".join(dict.fromkeys(given_words(pool["given"], 3)))
        return surname, given, to_mrz(surname), to_mrz(given)
    if script == "cyrillic":
        pool = CYRILLIC_NAMES[language]
        surname, given = pick(pool["surnames"]), " ".join(dict.fromkeys(given_words(pool["given"], 2)))
        return surname, given, to_mrz(surname, language), to_mrz(given, language)
    if script == "greek":
        surname, given = pick(GREEK_NAMES["surnames"]), " ".join(dict.fromkeys(given_words(GREEK_NAMES["given"], 2)))
        return surname, given, to_mrz(surname), to_mrz(given)
    pairs = ARABIC_NAMES if script == "arabic" else CJK_NAMES[language]
    s_print, s_mrz = pick(pairs["surnames"])
    chosen = list(dict.fromkeys(given_words(pairs["given"], 2)))
    separator = "" if script == "cjk" else " "
    g_print = separator.join(p for p, _ in chosen)
    g_mrz = " ".join(m for _, m in chosen) if script == "arabic" else "".join(m for _, m in chosen)
    return s_print, g_print, to_mrz(s_mrz), to_mrz(g_mrz)
