"""`python -m oncall` runs the command line."""

from oncall.cli import main

raise SystemExit(main())
