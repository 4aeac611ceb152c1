"""The command line the pair generators share (scripts/make_date_pairs.py,
scripts/make_number_pairs.py): their common options, and the file they write — one pair
per line, `source<TAB>target`, UTF-8, `\\n` line ends, to --output or standard output."""
import argparse
import sys


def parser(doc, max_source_length):
    """--count, --seed, --output and --max-source-length (default `max_source_length`),
    with `doc` (the script's docstring) as the description and epilog."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0], epilog=doc.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20000, help="pairs to write (default: 20000)")
    ap.add_argument("--seed", type=int, default=0, help="random.Random seed (default: 0)")
    ap.add_argument("--output", help="write here (default: standard output)")
    ap.add_argument("--max-source-length", type=int, default=max_source_length,
                    help=f"longest source in characters (default: {max_source_length})")
    return ap


def write(pairs, output):
    """Writes `pairs` ((source, target) tuples) to the path `output`, or standard output."""
    lines = "".join(f"{s}\t{t}\n" for s, t in pairs)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as f:
            f.write(lines)
    else:
        sys.stdout.buffer.write(lines.encode("utf-8"))
        sys.stdout.buffer.flush()
