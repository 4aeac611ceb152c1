#!/usr/bin/env python3
"""Writes a sequence-to-sequence task that needs alignment: dates in many written and
spoken forms -> their ISO form YYYY-MM-DD.

    scripts/make_date_pairs.py --count 20000 --seed 0 --output /tmp/dates-train.tsv
    scripts/make_date_pairs.py --count 2000 --seed 1 --output /tmp/dates-test.tsv

One pair per line, `source<TAB>target`, UTF-8, `\\n` line ends; nothing else is written
(to standard output without --output). Make the test set with a separate call and
another seed, as above (different seeds give independent draws of the same distribution;
a test pair may equal a training pair by chance, more often the shorter numeric forms).
The output is a function of (--seed, --count) only: `random.Random(seed)`, standard
library only.

Why: the target's digits must be read out of different places of the source (day before
or after the month, month as a name, year as digits, two digits or words, a weekday in
front), so a model needs the whole source and to attend to the right part of it, and the
source lengths vary widely (about 8 to 60 characters) while every target has 10.

Dates are uniform over 1950-01-01 ... 2049-12-31. Only unambiguous forms are used (no
DD/MM/YYYY or MM/DD/YYYY); formats are drawn at random per pair, e.g.

    3 march 2019            March 3rd, 2019          the third of march, twenty nineteen
    Sunday, 3 March 2019    3-Mar-19                 2019.03.03     2019/3/3
    THE TWENTY-FIRST OF JUNE NINETEEN NINETY-SEVEN   June the 21st, two thousand and five

- Weekdays are the date's own (full or abbreviated names).
- `d-Mon-yy` has two-digit years meaning 1950-2049 (50-99 -> 19xx, 00-49 -> 20xx).
- Years in words: `nineteen ninety-seven`, `nineteen fifty`, `two thousand five`,
  `two thousand and five`, `twenty oh five`, `twenty nineteen`, `two thousand and nineteen`.
- Case per pair: lower case, as written (capitalized names), or upper case.
Sources longer than --max-source-length (default 60) characters are drawn again.
"""

import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs_cli  # noqa: E402

FIRST = datetime.date(1950, 1, 1)
LAST = datetime.date(2049, 12, 31)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
MONTH_ABBREVIATIONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAY_ABBREVIATIONS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINAL_ONES = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
ORDINAL_TENS = {2: "twentieth", 3: "thirtieth"}


def cardinal(n):
    """0...99 in words: `seven`, `forty`, `ninety-seven`."""
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + ("-" + ONES[ones] if ones else "")


def ordinal(n):
    """1...31 in words: `third`, `twentieth`, `twenty-first`."""
    if n < 20:
        return ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    return ORDINAL_TENS[tens] if ones == 0 else TENS[tens] + "-" + ORDINAL_ONES[ones]


def ordinal_suffix(n):
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 23rd, 31st."""
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def year_words(rng, year):
    """The year spoken: 1950-1999 as `nineteen ninety-seven`; 2000-2009 as `two thousand
    (and) five` or `twenty oh five`; 2010-2049 as `twenty nineteen` or `two thousand (and)
    nineteen`."""
    century, rest = divmod(year, 100)
    if century == 19:
        return "nineteen " + cardinal(rest)
    if rest == 0:
        return "two thousand"
    pair = "twenty " + ("oh " + ONES[rest] if rest < 10 else cardinal(rest))
    thousand = "two thousand " + rng.choice(["", "and "]) + cardinal(rest)
    return rng.choice([pair, thousand])


def year_form(rng, year):
    """Digits (60%) or words (40%)."""
    return str(year) if rng.random() < 0.6 else year_words(rng, year)


def month_form(rng, month):
    """The full name (70%), else its abbreviation, with a period half the time (`Sept` for September)."""
    if rng.random() < 0.7:
        return MONTHS[month - 1]
    short = "Sept" if month == 9 and rng.random() < 0.5 else MONTH_ABBREVIATIONS[month - 1]
    return short + ("." if short != "May" and rng.random() < 0.5 else "")


def day_form(rng, day):
    """A day in front of or after the month name: `3`, `03`, `3rd` or `third`."""
    r = rng.random()
    if r < 0.35:
        return str(day)
    if r < 0.45:
        return f"{day:02d}"
    if r < 0.75:
        return ordinal_suffix(day)
    return ordinal(day)


def ordinal_form(rng, day):
    """A day after `the`: `3rd` or `third`."""
    return ordinal_suffix(day) if rng.random() < 0.4 else ordinal(day)


def weekday_form(rng, date):
    return (WEEKDAYS if rng.random() < 0.7 else WEEKDAY_ABBREVIATIONS)[date.weekday()]


def comma(rng):
    return rng.choice([",", ""])


# Each format: (weight, function(rng, date) -> source as written).
FORMATS = [
    (14, lambda r, d: f"{day_form(r, d.day)} {month_form(r, d.month)}{comma(r)} {year_form(r, d.year)}"),
    (14, lambda r, d: f"{month_form(r, d.month)} {day_form(r, d.day)}{comma(r)} {year_form(r, d.year)}"),
    (12, lambda r, d: f"the {ordinal_form(r, d.day)} of {month_form(r, d.month)}{comma(r)} {year_form(r, d.year)}"),
    (6, lambda r, d: f"{month_form(r, d.month)} the {ordinal_form(r, d.day)}{comma(r)} {year_form(r, d.year)}"),
    (8, lambda r, d: f"{weekday_form(r, d)}, {day_form(r, d.day)} {month_form(r, d.month)} {year_form(r, d.year)}"),
    (6, lambda r, d: f"{weekday_form(r, d)}, {month_form(r, d.month)} {day_form(r, d.day)}, {year_form(r, d.year)}"),
    (5, lambda r, d: f"{weekday_form(r, d)} the {ordinal_form(r, d.day)} of {month_form(r, d.month)}{comma(r)} "
                     f"{year_form(r, d.year)}"),
    (8, lambda r, d: f"{r.choice([str(d.day), f'{d.day:02d}'])}-{MONTH_ABBREVIATIONS[d.month - 1]}-{d.year % 100:02d}"),
    (3, lambda r, d: f"{d.day:02d}-{MONTH_ABBREVIATIONS[d.month - 1]}-{d.year}"),
    (8, lambda r, d: r.choice("./").join([str(d.year), f"{d.month:02d}", f"{d.day:02d}"])),
    (4, lambda r, d: r.choice("./").join([str(d.year), str(d.month), str(d.day)])),
    (2, lambda r, d: f"{d.year}{d.month:02d}{d.day:02d}"),
]
WEIGHTS = [w for w, _ in FORMATS]


def written(rng, date):
    """One source for `date` as written, before the case is chosen."""
    _, make = rng.choices(FORMATS, weights=WEIGHTS)[0]
    return make(rng, date)


def cased(rng, text):
    r = rng.random()
    if r < 0.45:
        return text.lower()
    if r < 0.85:
        return text
    return text.upper()


def pairs(count, seed, max_source_length=60):
    rng = random.Random(seed)
    first, last = FIRST.toordinal(), LAST.toordinal()
    for _ in range(count):
        date = datetime.date.fromordinal(rng.randint(first, last))
        while True:
            source = cased(rng, written(rng, date))
            if len(source) <= max_source_length:
                break
        yield source, date.isoformat()


def main():
    ap = pairs_cli.parser(__doc__, max_source_length=60)
    args = ap.parse_args()
    if args.count < 0:
        ap.error("--count must not be negative")
    if args.max_source_length < 12:
        ap.error("--max-source-length must be at least 12 (some formats need no fewer)")
    pairs_cli.write(pairs(args.count, args.seed, args.max_source_length), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
