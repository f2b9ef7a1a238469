"""`python -m flowctl`."""

from __future__ import annotations

from flowctl.launcher import main

if __name__ == "__main__":
    main()
