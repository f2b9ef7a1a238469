"""Run stores: where real runs live between commands. The interface is `flowctl.store.base`;
`flowctl.store.sqlite` is the embedded implementation (one file, no server)."""
