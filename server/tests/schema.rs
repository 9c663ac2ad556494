//! The two migration histories say the same thing: a fresh SQLite database and
//! a fresh PostgreSQL database have the same tables, the same columns (types
//! mapped to SQLite's storage classes) and the same indexes (by table, columns,
//! uniqueness and whether partial). A migration added to one backend and not
//! the other fails here.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use tiyan_server::testing::{Backend, TestDb, connect};
use tiyan_storage::Location;

/// What one backend keeps that the other keeps another way, and why. Nothing
/// else may differ.
const KEPT_OTHERWISE: &[(&str, &str, &str)] = &[(
    "feedback",
    "answered_offset_minutes",
    "PostgreSQL keeps an officer's answer time as timestamptz with its UTC offset beside it; \
     SQLite keeps the RFC 3339 text, offset included",
)];

/// Tables one backend keeps for its own speed, with why: the data's schema is the same without them.
const POSTGRES_ONLY: &[(&str, &str)] = &[(
    "rating_months",
    "the month rollup a province's month reads on PostgreSQL, kept from rating_days by triggers; \
     SQLite (one hall, a few hundred day rows a month) reads rating_days",
)];

/// Bookkeeping of each backend's migrations, not the data's schema.
const BOOKKEEPING: &[&str] = &["schema_migrations", "sqlite_sequence"];

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    /// (table, column, storage class)
    columns: BTreeSet<(String, String, &'static str)>,
    /// (table, columns in order, unique, partial)
    indexes: BTreeSet<(String, String, bool, bool)>,
}

/// A PostgreSQL type as SQLite would store it.
fn class(pg_type: &str) -> &'static str {
    match pg_type {
        "smallint" | "integer" | "bigint" | "boolean" => "INTEGER",
        "bytea" => "BLOB",
        "real" | "double precision" | "numeric" => "REAL",
        // uuid, text, timestamptz, date, jsonb, time: SQLite keeps them as text.
        _ => "TEXT",
    }
}

fn sqlite_schema(path: &std::path::Path) -> Schema {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = Schema::default();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables.iter().filter(|t| !BOOKKEEPING.contains(&t.as_str())) {
        let mut cols = c.prepare(&format!("PRAGMA table_info({t})")).unwrap();
        for (name, declared) in
            cols.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?))).unwrap().map(Result::unwrap)
        {
            let class = match declared.to_uppercase().as_str() {
                d if d.contains("INT") || d.contains("BOOL") => "INTEGER",
                d if d.contains("BLOB") => "BLOB",
                d if d.contains("REAL") || d.contains("DOUB") => "REAL",
                _ => "TEXT",
            };
            s.columns.insert((t.clone(), name, class));
        }
        let mut list = c.prepare(&format!("PRAGMA index_list({t})")).unwrap();
        let indexes: Vec<(String, bool, bool)> =
            list.query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(4)?))).unwrap().map(Result::unwrap).collect();
        for (index, unique, partial) in indexes {
            let mut info = c.prepare(&format!("PRAGMA index_info({index})")).unwrap();
            let columns: Vec<String> = info.query_map([], |r| r.get(2)).unwrap().map(Result::unwrap).collect();
            s.indexes.insert((t.clone(), columns.join(","), unique, partial));
        }
        // A rowid table's INTEGER PRIMARY KEY is no index in SQLite's list; PostgreSQL has one.
        let rowid_key: Option<String> = c
            .query_row(
                &format!("SELECT name FROM pragma_table_info('{t}') WHERE pk = 1 AND upper(type) = 'INTEGER'"),
                [],
                |r| r.get(0),
            )
            .ok();
        let keys: i64 = c
            .query_row(&format!("SELECT count(*) FROM pragma_table_info('{t}') WHERE pk > 0"), [], |r| r.get(0))
            .unwrap();
        if let (Some(key), 1) = (rowid_key, keys) {
            s.indexes.insert((t.clone(), key, true, false));
        }
    }
    s
}

async fn postgres_schema(url: &str) -> Schema {
    let c = connect(url).await;
    let mut s = Schema::default();
    for r in c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
    {
        let table: String = r.get(0);
        if !BOOKKEEPING.contains(&table.as_str()) {
            s.columns.insert((table, r.get(1), class(r.get(2))));
        }
    }
    for r in c
        .query(
            "SELECT c.relname::text, i.indisunique, i.indpred IS NOT NULL,
                    (SELECT string_agg(a.attname, ',' ORDER BY k.i)
                     FROM unnest(i.indkey) WITH ORDINALITY k(attnum, i)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'",
            &[],
        )
        .await
        .unwrap()
    {
        let table: String = r.get(0);
        if !BOOKKEEPING.contains(&table.as_str()) {
            s.indexes.insert((table, r.get(3), r.get(1), r.get(2)));
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_and_sqlite_the_migrations_make_the_same_schema() {
    let (sqlite, postgres) = (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Postgres).await);
    drop(sqlite.open().await);
    drop(postgres.open().await);
    let Location::Sqlite(path) = &sqlite.location else { unreachable!() };
    let Location::Postgres(url) = &postgres.location else { unreachable!() };
    let (mut a, mut b) = (sqlite_schema(path), postgres_schema(url).await);
    for (table, why) in POSTGRES_ONLY {
        assert!(
            b.columns.iter().any(|(t, _, _)| t == table),
            "{table} is listed as PostgreSQL's only but is gone: {why}"
        );
        b.columns.retain(|(t, _, _)| t != table);
        b.indexes.retain(|(t, _, _, _)| t != table);
    }
    for (table, column, why) in KEPT_OTHERWISE {
        let kept = b.columns.iter().find(|(t, c, _)| t == table && c == column).cloned();
        assert!(kept.is_some(), "{table}.{column} is listed as kept otherwise but is gone: {why}");
        a.columns.extend(kept);
    }
    let only = |x: &Schema, y: &Schema| -> Vec<String> {
        let cols = x.columns.difference(&y.columns).map(|c| format!("column {c:?}"));
        let idx = x.indexes.difference(&y.indexes).map(|i| format!("index {i:?}"));
        cols.chain(idx).collect()
    };
    assert!(a.columns.len() > 100 && a.indexes.len() > 40, "the schemas were read: {a:?}");
    assert_eq!(only(&a, &b), Vec::<String>::new(), "only in SQLite");
    assert_eq!(only(&b, &a), Vec::<String>::new(), "only in PostgreSQL");
}
