"""``python -m w2v``: run the built-in demo (the full command line comes with issue 5)."""

import sys

from .demo import run_demo


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m w2v    train on a built-in generated corpus and show neighbours")
        return 0
    if argv:
        print(f"python -m w2v: unexpected arguments {argv}; try --help", file=sys.stderr)
        return 2
    run_demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
