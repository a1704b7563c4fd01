"""`python -m cxtext.cli` is the `cxtext` command."""

from cxtext.cli import main

main()
