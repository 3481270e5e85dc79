"""The performance benchmark of issue 7: `manage.py bench --scale small|full`.

`bench.loader` writes a busy support company's data (fixed seed, bulk COPY / bulk_create),
`bench.measure` times the figures B1-B8 against it, `bench.floor` holds the hand-written
SQL that B3 compares the pages with.
"""
