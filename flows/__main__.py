"""`python -m flows draw`: print the conversation graph as Mermaid."""

from __future__ import annotations

import argparse

from flows.graph import build_graph


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m flows")
    parser.add_argument("command", choices=["draw"])
    parser.parse_args()
    print(build_graph().get_graph().draw_mermaid())


if __name__ == "__main__":
    main()
