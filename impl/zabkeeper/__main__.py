"""``python -m zabkeeper`` is the ``zabkeeper`` console script."""

from zabkeeper.cli import main

raise SystemExit(main())
