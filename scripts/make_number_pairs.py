#!/usr/bin/env python3
"""Writes a sequence-to-sequence task that needs alignment: non-negative integers written
in English words -> their digits.

    scripts/make_number_pairs.py --count 20000 --seed 0 --output /tmp/numbers-train.tsv
    scripts/make_number_pairs.py --count 2000 --seed 1 --output /tmp/numbers-test.tsv
    scripts/make_number_pairs.py --self-test

One pair per line, `source<TAB>target`, UTF-8, `\\n` line ends; nothing else is written
(to standard output without --output). Make the test set with a separate call and
another seed, as above (different seeds give independent draws of the same distribution;
a test pair may equal a training pair by chance, more often the short numbers).
The output is a function of (--seed, --count, --max-source-length) only:
`random.Random(seed)`, standard library only.

Why: a digit of the target depends on where its group stands in the whole source (a
missing `thousand` group means three zeros, `million six` means 000006), so a model needs
the whole source and to attend to the right part of it; and the source lengths vary
widely (a few characters to --max-source-length) while targets have 1 to 15 digits.
An encoder-decoder without attention should struggle on the longest ones.

The number of digits is uniform over 1 ... 15, then the value uniform among numbers with
that many digits (0 ... 9 for one digit), so long numbers are common. Short-scale names
(thousand, million, billion, trillion); styles are drawn at random per pair, e.g.

    three hundred twelve million four hundred five thousand six                  312405006
    three hundred and twelve million, four hundred and five thousand and six     312405006
    Forty-Two Thousand, Seven                                                    42007
    three one two four oh five zero zero six                                     312405006

- Words (80%): US (no `and`) or British (`and` after `hundred` and before a last group
  below one hundred: `one million and five`); tens hyphenated (`forty-two`) or not
  (`forty two`); commas between groups or not (never before a British `and` group).
  Zero is `zero`.
- Digit by digit (20%): `zero` for 0, or `oh` for every 0 of a third of these pairs.
- Case per pair: lower case (70%), Title Case (15%) or UPPER CASE (15%).
- Targets are the plain digits, no separators or leading zeros: `0`, `7`, `312405006`.
Sources longer than --max-source-length (default 160) characters are drawn again, keeping
the number (digit by digit always fits, so the digit counts stay uniform; the longest
numbers are then read digit by digit more often). --self-test parses --count generated
sources with a parser of its own, compares with the targets and exits 1 on a mismatch.
"""

import collections
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs_cli  # noqa: E402

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = ["", "thousand", "million", "billion", "trillion"]  # 1000 ** index
MAX_DIGITS = 15
# Every number fits digit by digit: at most 15 five-letter words and 14 spaces.
MIN_MAX_SOURCE_LENGTH = 5 * MAX_DIGITS + MAX_DIGITS - 1


def draw_number(rng):
    """Digit count uniform over 1...15, then the value uniform among those numbers."""
    digits = rng.randint(1, MAX_DIGITS)
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1)


def below_hundred(n, hyphen):
    """1...99 in words: `seven`, `forty`, `forty-two` or `forty two`."""
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + ((("-" if hyphen else " ") + ONES[ones]) if ones else "")


def below_thousand(n, british, hyphen):
    """1...999 in words: `three hundred twelve`, `three hundred and twelve`, `five`."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append(ONES[hundreds] + " hundred")
        if rest and british:
            words.append("and")
    if rest:
        words.append(below_hundred(rest, hyphen))
    return " ".join(words)


def in_words(n, british, hyphen, commas):
    """n in words, groups of three digits from the highest scale down; zero groups left out."""
    if n == 0:
        return "zero"
    groups = []
    scale = 0
    while n:
        n, group = divmod(n, 1000)
        groups.append((scale, group))
        scale += 1
    groups = [(s, g) for s, g in reversed(groups) if g]
    text = ""
    for i, (s, g) in enumerate(groups):
        words = below_thousand(g, british, hyphen) + (" " + SCALES[s] if s else "")
        if i == 0:
            text = words
        elif british and s == 0 and g < 100:
            text += " and " + words
        else:
            text += ("," if commas else "") + " " + words
    return text


def digit_by_digit(n, oh):
    return " ".join(("oh" if oh else "zero") if d == "0" else ONES[int(d)] for d in str(n))


def written(rng, n):
    """(style, source) for n before the case is chosen; style names the choices made."""
    if rng.random() < 0.2:
        oh = rng.random() < 1 / 3
        return ("digits-oh" if oh else "digits-zero"), digit_by_digit(n, oh)
    british = rng.random() < 0.5
    hyphen = rng.random() < 0.5
    commas = rng.random() < 0.4
    style = "-".join(["british" if british else "us", "hyphen" if hyphen else "space",
                      "commas" if commas else "nocommas"])
    return style, in_words(n, british, hyphen, commas)


def cased(rng, text):
    """(case, text): lower (70%), Title (15%) or UPPER (15%)."""
    r = rng.random()
    if r < 0.7:
        return "lower", text.lower()
    if r < 0.85:
        return "title", text.title()
    return "upper", text.upper()


def styled_pairs(count, seed, max_source_length=160):
    """(source, target, style, case) for each pair."""
    rng = random.Random(seed)
    for _ in range(count):
        n = draw_number(rng)
        while True:
            style, text = written(rng, n)
            case, source = cased(rng, text)
            if len(source) <= max_source_length:
                break
        yield source, str(n), style, case


def pairs(count, seed, max_source_length=160):
    for source, target, _, _ in styled_pairs(count, seed, max_source_length):
        yield source, target


# --- Self-test: an independent parser from source back to digits. ---------------------

UNIT_VALUES = {w: i for i, w in enumerate(ONES)}  # zero ... nineteen
TENS_VALUES = {w: i * 10 for i, w in enumerate(TENS) if w}
SCALE_VALUES = {w: 1000 ** i for i, w in enumerate(SCALES) if w}
DIGIT_WORDS = {w: str(i) for i, w in enumerate(ONES[:10])}
DIGIT_WORDS["oh"] = "0"


def parse_group(tokens):
    """Value of one group of three digits from its words (1...999); ValueError if malformed."""
    value = 0
    rest = list(tokens)
    if len(rest) >= 2 and rest[1] == "hundred":
        if rest[0] not in UNIT_VALUES or not 1 <= UNIT_VALUES[rest[0]] <= 9:
            raise ValueError(f"bad hundreds {rest[:2]}")
        value = UNIT_VALUES[rest[0]] * 100
        rest = rest[2:]
        if rest and rest[0] == "and":
            rest = rest[1:]
            if not rest:
                raise ValueError("`and` with nothing after it")
    if len(rest) == 1 and rest[0] in UNIT_VALUES and rest[0] != "zero":
        value += UNIT_VALUES[rest[0]]
    elif len(rest) == 1 and rest[0] in TENS_VALUES:
        value += TENS_VALUES[rest[0]]
    elif (len(rest) == 2 and rest[0] in TENS_VALUES and rest[1] in UNIT_VALUES
          and 1 <= UNIT_VALUES[rest[1]] <= 9):
        value += TENS_VALUES[rest[0]] + UNIT_VALUES[rest[1]]
    elif rest:
        raise ValueError(f"bad group {tokens}")
    if value == 0:
        raise ValueError(f"empty group {tokens}")
    return value


def parse(source):
    """The digits of a source, read without the generator's help; ValueError if malformed."""
    words = source.lower().split(" ")
    if not source or any(not w for w in words):
        raise ValueError("empty word (double or edge space)")
    if all(w in DIGIT_WORDS for w in words) and (len(words) > 1 or words[0] == "oh"):
        digits = "".join(DIGIT_WORDS[w] for w in words)
        if len(digits) > 1 and digits[0] == "0":
            raise ValueError("leading zero")
        return digits
    if words == ["zero"]:
        return "0"
    tokens = []
    for w in words:
        if w.endswith(","):
            w = w[:-1]
            comma = True
        else:
            comma = False
        parts = w.split("-")
        if len(parts) == 2 and parts[0] in TENS_VALUES and parts[1] in UNIT_VALUES:
            tokens += parts
        elif len(parts) == 1 and (w in UNIT_VALUES or w in TENS_VALUES or w in SCALE_VALUES
                                  or w in ("hundred", "and")):
            tokens.append(w)
        else:
            raise ValueError(f"unknown word {w!r}")
        if comma and w not in SCALE_VALUES:
            raise ValueError(f"comma after {w!r}, not after a scale")
    total, group, last_scale = 0, [], None
    for i, t in enumerate(tokens):
        if t in SCALE_VALUES:
            scale = SCALE_VALUES[t]
            if last_scale is not None and scale >= last_scale:
                raise ValueError("scales not decreasing")
            total += parse_group(group) * scale
            group, last_scale = [], scale
        elif t == "and" and not group and last_scale is not None:
            pass  # British `one million and five`
        else:
            group.append(t)
    if group:
        total += parse_group(group)
    return str(total)


def self_test(count, seed, max_source_length):
    """Parses every generated source and compares; a summary to standard error; 0 or 1."""
    failures = 0
    styles, cases, lengths = collections.Counter(), collections.Counter(), collections.Counter()
    source_lengths = []
    for source, target, style, case in styled_pairs(count, seed, max_source_length):
        styles[style] += 1
        cases[case] += 1
        lengths[len(target)] += 1
        source_lengths.append(len(source))
        try:
            got = parse(source)
        except ValueError as error:
            got = f"error: {error}"
        ok = (got == target and len(source) <= max_source_length and "\t" not in source
              and "\n" not in source and source.isascii())
        if not ok:
            failures += 1
            if failures <= 10:
                print(f"MISMATCH {style} {case}: {source!r} -> {got!r}, expected {target!r}", file=sys.stderr)
    again = list(pairs(min(count, 1000), seed, max_source_length))
    if again != [(s, t) for s, t, _, _ in styled_pairs(min(count, 1000), seed, max_source_length)]:
        failures += 1
        print("MISMATCH: the same seed gave different pairs", file=sys.stderr)
    expected_styles = {"digits-oh", "digits-zero"} | {
        f"{a}-{b}-{c}" for a in ("us", "british") for b in ("hyphen", "space") for c in ("commas", "nocommas")}
    if count >= 2000 and (set(styles) != expected_styles or set(cases) != {"lower", "title", "upper"}
                          or set(lengths) != set(range(1, MAX_DIGITS + 1))):
        failures += 1
        print("MISMATCH: a style, case or digit count never occurred", file=sys.stderr)
    if source_lengths:
        print(f"pairs {count}, source length min {min(source_lengths)} "
              f"mean {sum(source_lengths) / len(source_lengths):.1f} max {max(source_lengths)}", file=sys.stderr)
    print("target digits: " + " ".join(f"{k}:{lengths[k]}" for k in sorted(lengths)), file=sys.stderr)
    print("styles: " + " ".join(f"{k}:{styles[k]}" for k in sorted(styles)), file=sys.stderr)
    print("cases: " + " ".join(f"{k}:{cases[k]}" for k in sorted(cases)), file=sys.stderr)
    print(f"self-test {'FAILED' if failures else 'passed'}: {failures} mismatches", file=sys.stderr)
    return 1 if failures else 0


def main():
    ap = pairs_cli.parser(__doc__, max_source_length=160)
    ap.add_argument("--self-test", action="store_true",
                    help="parse --count generated pairs back and compare; write nothing; exit 1 on a mismatch")
    args = ap.parse_args()
    if args.count < 0:
        ap.error("--count must not be negative")
    if args.max_source_length < MIN_MAX_SOURCE_LENGTH:
        ap.error(f"--max-source-length must be at least {MIN_MAX_SOURCE_LENGTH} "
                 f"(a {MAX_DIGITS}-digit number read digit by digit needs up to that many)")
    if args.self_test:
        return self_test(args.count, args.seed, args.max_source_length)
    pairs_cli.write(pairs(args.count, args.seed, args.max_source_length), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
