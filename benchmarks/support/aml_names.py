"""Synthetic people for the AML benchmark: names from five naming traditions, each name
part known in several spellings (romanisations, original script, diacritics), so a list
entry can be written one way and the screened person another."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Optional

from anyascii import anyascii

# --- Russian: Cyrillic, romanised by four systems ---------------------------------------
RU_GIVEN = ("Александр Алексей Андрей Борис Вадим Валентин Василий Виктор Владимир Вячеслав "
            "Геннадий Георгий Григорий Дмитрий Евгений Иван Игорь Илья Кирилл Константин Леонид "
            "Максим Михаил Никита Николай Олег Павел Пётр Роман Сергей Станислав Степан Юрий Яков "
            "Анна Елена Екатерина Ирина Мария Наталья Ольга Светлана Татьяна Юлия Ксения Людмила").split()
RU_ONSETS = "Б В Г Д Ж З К Л М Н П Р С Т Ф Х Ц Ч Ш Бр Гр Др Кр Пр Тр Ст Сл См Зв Кл Пл".split()
RU_VOWELS = "а о е и у я ю ы".split()
RU_CODAS = "б в г д з к л м н п р с т х ч ш".split()
RU_SUFFIXES = "ов ев ин ский цкий енко ук ович".split()
_RU_COMMON = dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye"))
RU_SYSTEMS = {
    "bgn": {**_RU_COMMON, "ё": "yo", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
            "ъ": "", "ь": "", "ю": "yu", "я": "ya"},
    "german": {**_RU_COMMON, "в": "w", "ё": "jo", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z",
               "ч": "tsch", "ш": "sch", "щ": "schtsch", "ъ": "", "ь": "", "ю": "ju", "я": "ja", "у": "u"},
    "french": {**_RU_COMMON, "ё": "io", "ж": "j", "й": "i", "у": "ou", "х": "kh", "ц": "ts", "ч": "tch",
               "ш": "ch", "щ": "chtch", "ъ": "", "ь": "", "ю": "iou", "я": "ia"},
    "iso9": {**_RU_COMMON, "ё": "ë", "ж": "ž", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ",
             "ъ": "ʺ", "ь": "ʹ", "ю": "û", "я": "â", "ы": "y", "э": "è"},
}


def romanise_ru(text: str, system: str) -> str:
    table = RU_SYSTEMS[system]
    out = []
    for char in text:
        low = char.lower()
        latin = table.get(low, low)
        out.append(latin.capitalize() if char != low else latin)
    return "".join(out)


# --- Arabic: each name with its usual romanisations, and its Arabic script -------------
AR_NAMES = {
    "محمد": ["Muhammad", "Mohammed", "Mohamed", "Mohammad"], "أحمد": ["Ahmad", "Ahmed", "Akhmed"],
    "علي": ["Ali", "Aly"], "حسن": ["Hassan", "Hasan"], "حسين": ["Hussein", "Husayn", "Hussain", "Hossein"],
    "عبد الله": ["Abdullah", "Abdallah", "Abd Allah"], "عبد الرحمن": ["Abdulrahman", "Abdul Rahman", "Abdelrahman"],
    "عمر": ["Omar", "Umar"], "خالد": ["Khalid", "Khaled"], "يوسف": ["Yusuf", "Youssef", "Yousef"],
    "إبراهيم": ["Ibrahim", "Ebrahim"], "مصطفى": ["Mustafa", "Moustafa", "Mostafa", "Mustapha"],
    "محمود": ["Mahmoud", "Mahmud", "Mahmood"], "سعيد": ["Saeed", "Said", "Saied"],
    "طارق": ["Tariq", "Tarek", "Tarik"], "وليد": ["Walid", "Waleed"], "فيصل": ["Faisal", "Faysal"],
    "جمال": ["Jamal", "Gamal", "Djamal"], "ناصر": ["Nasser", "Nasir", "Naser"], "كريم": ["Karim", "Kareem"],
    "رشيد": ["Rashid", "Rachid", "Rasheed"], "حمزة": ["Hamza", "Hamzah"], "بلال": ["Bilal", "Belal"],
    "سمير": ["Samir", "Sameer"], "عثمان": ["Othman", "Uthman", "Osman"], "سليمان": ["Suleiman", "Sulayman", "Soliman"],
    "خليل": ["Khalil", "Khaleel"], "ياسين": ["Yassin", "Yasin", "Yaseen"], "منصور": ["Mansour", "Mansur"],
    "جابر": ["Jaber", "Jabir"], "عباس": ["Abbas", "Abas"], "حمدان": ["Hamdan", "Hamdane"],
    "فاطمة": ["Fatima", "Fatimah", "Fatma"], "عائشة": ["Aisha", "Aicha", "Ayesha"],
    "مريم": ["Maryam", "Mariam"], "زينب": ["Zainab", "Zaynab", "Zeinab"], "خديجة": ["Khadija", "Khadijah"],
}
AR_FAMILIES = {
    "القذافي": ["al-Qadhafi", "Gaddafi", "Kadhafi", "Qaddafi"], "الهاشمي": ["al-Hashimi", "Hashemi", "El Hachemi"],
    "التكريتي": ["al-Tikriti", "Tikriti"], "المصري": ["al-Masri", "El Masry", "Masri"],
    "الظواهري": ["al-Zawahiri", "Zawahri"], "الأسد": ["al-Assad", "Asad", "El Assad"],
    "الخطيب": ["al-Khatib", "El Khatib", "Khateeb"], "النجار": ["al-Najjar", "Najjar", "Nadjar"],
    "الحداد": ["al-Haddad", "Haddad"], "القرشي": ["al-Qurashi", "Qureshi", "Kureshi"],
    "درويش": ["Darwish", "Darwiche"], "الحكيم": ["al-Hakim", "El Hakim", "Hakim"],
    "الشامي": ["al-Shami", "Chami", "Shami"], "البغدادي": ["al-Baghdadi", "Baghdadi"],
    "العطار": ["al-Attar", "Attar"], "الزين": ["al-Zein", "El Zein", "Zain"],
}

# --- Chinese: Han characters, pinyin (anyascii), Wade-Giles surnames -------------------
ZH_SURNAMES = {"王": "Wang", "李": "Li", "张": "Chang", "刘": "Liu", "陈": "Ch'en", "杨": "Yang", "黄": "Huang",
               "赵": "Chao", "吴": "Wu", "周": "Chou", "徐": "Hsu", "孙": "Sun", "马": "Ma", "朱": "Chu",
               "胡": "Hu", "郭": "Kuo", "何": "Ho", "高": "Kao", "林": "Lin", "罗": "Lo", "郑": "Cheng",
               "梁": "Liang", "谢": "Hsieh", "宋": "Sung", "唐": "T'ang", "韩": "Han", "冯": "Feng",
               "邓": "Teng", "曹": "Ts'ao"}
ZH_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国文辉力斌鹏宇浩凯健俊帆帅旭宁龙欢佳鑫海志红云春东晓金新成德永家正"

# --- Latin-script Europe and Turkey, with diacritics -----------------------------------
LATIN_GIVEN = ("José María Jesús Ramón Andrés Raúl Sofía Lucía Inés Joaquín François Hélène Jérôme Zoë "
               "Günter Jürgen Björn Sören Łukasz Paweł Wojciech Małgorzata Agnieszka Şükrü Gülşen Çağlar "
               "Ömer Müge João Conceição Gonçalo Carlos Miguel Luis Pedro Juan Ana Elena Marco Luca Giulia "
               "Andrea Pierre Marie Claire Thomas Nicolas Katarzyna Tomasz Mehmet Ayşe Emine").split()
LATIN_SURNAMES = ("García Martínez López Sánchez Pérez Gómez Díaz Hernández Muñoz Álvarez Jiménez Ruiz Núñez "
                  "Peña Castaño Ibáñez Müller Schröder Schäfer Köhler Krämer Wöhler Jäger Lévêque Bénard "
                  "Lefèvre Dupré Gaëlic Kowalski Wiśniewski Wójcik Kamiński Lewandowski Zieliński Szymański "
                  "Woźniak Dąbrowski Kozłowski Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın "
                  "Özdemir Arslan Doğan Kılıç Çetin Koç Özkan Şimşek Gonçalves Magalhães Simões Fernández "
                  "Domínguez Vázquez Ramírez Gutiérrez Márquez Benítez Méndez Suárez Sáez Søndergård Ångström "
                  "Nørgaard Brandão Estêvão Rossi Bianchi Ferrari Esposito Romano Colombo Ricci Marino").split()
_UMLAUT = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}

# --- English --------------------------------------------------------------------------
EN_GIVEN = ("James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
            "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Mary Patricia Jennifer Linda "
            "Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Betty Margaret Sandra Ashley "
            "Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura Sharon").split()
EN_SURNAMES = ("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
               "Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
               "Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans "
               "Turner Torres Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson "
               "Cooper Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray "
               "James Hughes Price Sanders Myers Long Ross Foster Powell Jenkins Perry Russell Sullivan "
               "Fisher Henderson Coleman Simmons Patterson Jordan Reynolds Hamilton Graham Wallace").split()

CULTURES = ("russian", "arabic", "chinese", "latin", "english")
COUNTRIES = {"russian": ("ru", "by", "ua", "kz"), "arabic": ("ly", "sy", "iq", "eg", "sa", "ye"),
             "chinese": ("cn", "tw", "sg"), "latin": ("es", "fr", "de", "pl", "tr", "pt", "it", "dk"),
             "english": ("us", "gb", "ca", "au")}


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
                                       .replace("ı", "i").replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Identity:
    """A person as a sequence of name parts (given … family); ``core`` marks the parts a
    careless writer never drops (first given name and family name)."""

    culture: str
    parts: tuple[str, ...]  # canonical: Cyrillic, Arabic script, Han, Latin with diacritics
    birth_date: str
    nationality: str
    primary_forms: tuple[int, ...]  # Arabic: which romanisation of each part the list used

    def written(self, style: str) -> str:
        """The name in a given writing: "list" (as the list writes it), "script" (original
        script), or another romanisation / diacritics treatment for this culture."""
        c = self.culture
        if c == "russian":
            system = {"list": "bgn", "alt1": "german", "alt2": "french", "alt3": "iso9"}.get(style)
            return " ".join(self.parts) if system is None else " ".join(romanise_ru(p, system) for p in self.parts)
        if c == "arabic":
            if style == "script":
                return " ".join(self.parts)
            out = []
            for part, chosen in zip(self.parts, self.primary_forms):
                forms = AR_NAMES.get(part) or AR_FAMILIES[part]
                index = chosen if style == "list" else (chosen + 1) % len(forms)
                out.append(forms[index])
            return " ".join(out)
        if c == "chinese":
            surname, given = self.parts
            if style == "script":
                return surname + given
            pinyin_given = anyascii(given).capitalize()
            if style == "list":
                return f"{anyascii(surname)} {pinyin_given}"
            hyphenated = "-".join(anyascii(ch).lower() for ch in given).capitalize()
            return f"{ZH_SURNAMES[surname]} {hyphenated}"
        if c == "latin":
            if style == "list":
                return " ".join(self.parts)
            if style == "alt1":
                return strip_diacritics(" ".join(self.parts)).upper()
            return "".join(_UMLAUT.get(ch, ch) for ch in " ".join(self.parts))
        return " ".join(self.parts)

    def alternative_styles(self) -> tuple[str, ...]:
        return {"russian": ("script", "alt1", "alt2", "alt3"), "arabic": ("script", "alt1"),
                "chinese": ("script", "alt1"), "latin": ("alt1", "alt2")}.get(self.culture, ())


def random_identity(rng: random.Random) -> Identity:
    culture = rng.choice(CULTURES)
    dob = f"{rng.randint(1935, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    nationality = rng.choice(COUNTRIES[culture])
    forms: tuple[int, ...] = ()
    if culture == "russian":
        given, father = rng.choice(RU_GIVEN), rng.choice(RU_GIVEN[:35])
        patronymic = (father[:-1] + "евич") if father.endswith("й") else father + "ович"
        surname = (rng.choice(RU_ONSETS) + rng.choice(RU_VOWELS) + rng.choice(RU_CODAS)
                   + rng.choice(["", rng.choice(RU_VOWELS) + rng.choice(RU_CODAS)]) + rng.choice(RU_SUFFIXES))
        parts = (given, patronymic, surname.capitalize())
    elif culture == "arabic":
        names = list(AR_NAMES)
        chain = [rng.choice(names) for _ in range(rng.choice((1, 2, 2, 3)))]
        parts = (*chain, rng.choice(list(AR_FAMILIES)))
        forms = tuple(rng.randrange(len(AR_NAMES.get(p) or AR_FAMILIES[p])) for p in parts)
    elif culture == "chinese":
        parts = (rng.choice(list(ZH_SURNAMES)), "".join(rng.choice(ZH_GIVEN) for _ in range(rng.choice((1, 2, 2)))))
    elif culture == "latin":
        surnames = [rng.choice(LATIN_SURNAMES) for _ in range(rng.choice((1, 1, 2)))]
        parts = (rng.choice(LATIN_GIVEN), *surnames)
    else:
        middle = [rng.choice(EN_GIVEN)] if rng.random() < 0.5 else []
        parts = (rng.choice(EN_GIVEN), *middle, rng.choice(EN_SURNAMES))
    return Identity(culture, parts, dob, nationality, forms)


def typo(name: str, rng: random.Random) -> str:
    """One keyboard slip in one word of four letters or more: a letter replaced, doubled,
    dropped, or two swapped."""
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long_words:
        return name
    i = rng.choice(long_words)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    kind = rng.choice(("replace", "double", "drop", "swap"))
    if kind == "replace":
        w = w[:p] + rng.choice("abcdefghijklmnopqrstuvwxyz") + w[p + 1:]
    elif kind == "double":
        w = w[:p] + w[p] + w[p:]
    elif kind == "drop":
        w = w[:p] + w[p + 1:]
    else:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2:]
    words[i] = w
    return " ".join(words)


def variant(identity: Identity, kind: str, rng: random.Random) -> Optional[str]:
    """The screened person's name written differently from the list, or None when this
    kind of difference does not apply to the identity."""
    listed = identity.written("list")
    if kind == "transliteration":
        styles = [s for s in identity.alternative_styles() if identity.culture != "latin"]
        return identity.written(rng.choice(styles)) if styles else None
    if kind == "diacritics":
        return identity.written(rng.choice(("alt1", "alt2"))) if identity.culture == "latin" else None
    if kind == "typo":
        return typo(listed, rng)
    if kind == "word_order":
        words = listed.split()
        return f"{words[-1].upper()}, {' '.join(words[:-1])}" if len(words) >= 2 else None
    if kind == "dropped_middle":
        words = listed.split()
        return f"{words[0]} {words[-1]}" if len(words) >= 3 else None
    raise ValueError(kind)


VARIANT_KINDS = ("transliteration", "diacritics", "typo", "word_order", "dropped_middle")
