"""The ``--lang`` option of the commands that write dispatch sheets (plan, replan, compare)."""

from __future__ import annotations

import argparse
from typing import get_args

from wasteopt.headers import Language


def add_language_option(parser: argparse.ArgumentParser) -> None:
    """``--lang zh|en``: the language of the sheets' headers (default Chinese)."""
    parser.add_argument(
        "--lang",
        choices=get_args(Language),
        default="zh",
        help="language of the dispatch sheets' headers: zh (Chinese, default) or en",
    )
