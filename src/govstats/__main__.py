"""``python -m govstats``."""

from govstats.cli import main

main()
