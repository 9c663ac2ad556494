#!/usr/bin/env python3
"""Counts the SQL statements that stand in both storage backends.

Every string literal in crates/storage-sqlite/src and crates/storage-postgres/src
that holds a statement (it starts with SELECT, INSERT, UPDATE, DELETE or WITH) is
normalised: placeholders (?1, $1, ?) become ?, casts (::text, ::uuid ...) go,
whitespace collapses, case folds. A SQLite statement whose normal form is also
a PostgreSQL statement's is a twin. Statements built with format! count with
their {NAME} holes as written. Prints the counts, and with -v the twins.
"""
import pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
STMT = re.compile(r'^\s*(select|insert|update|delete|with)\b', re.I)
# Rust string literals: raw r"..."/r#"..."# and plain "..." (escapes kept).
LIT = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)

def statements(folder):
    out = []
    for f in sorted((ROOT / folder).rglob('*.rs')):
        text = f.read_text()
        # Tests inside the backends are not the backend's statements.
        text = text.split('#[cfg(test)]')[0]
        for m in LIT.finditer(text):
            s = m.group(2) if m.group(2) is not None else m.group(3)
            if s and STMT.match(s):
                out.append((f.relative_to(ROOT), s))
    return out

def normal(s):
    s = s.replace('\\n', ' ').replace('\\\n', ' ')
    s = re.sub(r'::[a-z_]+(\[\])?', '', s, flags=re.I)
    s = re.sub(r'[?$]\d*', '?', s)
    s = re.sub(r'\s+', ' ', s).strip().lower()
    s = re.sub(r'\s*([(),=<>])\s*', r'\1', s)
    return s

sqlite = statements('crates/storage-sqlite/src')
pg = statements('crates/storage-postgres/src')
pg_norm = {normal(s) for _, s in pg}
twins = [(f, s) for f, s in sqlite if normal(s) in pg_norm]
print(f"SQLite backend: {len(sqlite)} statements; PostgreSQL backend: {len(pg)}; "
      f"in both once normalised: {len(twins)}")
if '-v' in sys.argv:
    for f, s in twins:
        print(f"  {f}: {normal(s)[:150]}")
