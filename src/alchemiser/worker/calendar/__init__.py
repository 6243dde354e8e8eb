"""The NYSE sessions the worker trades by, as package data (xnys.txt).

Rule: data only. The table is exchange-calendars' XNYS schedule for
1990-01-01..2035-12-31, written once by `hack/calendar_table.py` and checked against the
library by tests/worker/test_calendar_table.py, so a run reads a 200 KB text file instead
of importing exchange-calendars and pandas (about a second of a pod's start).
"""
