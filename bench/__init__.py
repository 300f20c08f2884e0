"""Stafett's benchmark: command and load rates on SQLite and PostgreSQL.

`make bench` (or `python -m bench`) runs it in full; `--quick` runs small sizes,
`--only sqlite|postgres` one store. Figures go to stdout and
`var/bench/results.json`; see `bench.run` for what each figure measures.
"""
