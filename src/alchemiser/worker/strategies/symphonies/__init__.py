"""The built-in strategies' symphony texts (NAME.clj), shipped as package data.

Rule: data only. `nuclear.clj`, `tecl.clj` and `klm.clj` are the project's own
texts, written from ../shared/originals/SPEC-*.md leaf by leaf; the built-in
strategies of the same names evaluate them (builtin.py), and
`alchemiser symphony show NAME` prints them.
"""
