//! Schema introspection, normalised so that a SQLite and a PostgreSQL schema can be compared:
//! the test suite migrates both and requires [`diff`] to be empty, so the two migration
//! folders cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row as _;

use crate::{Db, Dialect, Result};

/// One column, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Normalised type: `int`, `text`, `bytes`, `real`, or the lower-cased raw name.
    pub ty: String,
    /// Primary-key columns count as NOT NULL (SQLite reports `INTEGER PRIMARY KEY` as nullable).
    pub not_null: bool,
    /// 1-based position in the primary key; 0 if not part of it.
    pub pk: i64,
    /// Normalised default expression (PostgreSQL's `::type` casts removed).
    pub default: Option<String>,
}

/// A secondary index or UNIQUE constraint (names differ between databases, so they are not
/// compared): table, columns in order, unique.
pub type Index = (String, Vec<String>, bool);

/// Tables (without sqlx's `_sqlx_migrations`), their columns by name, and their indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, BTreeMap<String, Column>>,
    pub indexes: BTreeSet<Index>,
}

const SQLITE_COLUMNS: &str = "\
SELECT CAST(m.name AS TEXT) AS tbl, CAST(p.name AS TEXT) AS col, CAST(p.type AS TEXT) AS ty, \
       CAST(p.\"notnull\" AS INTEGER) AS nn, CAST(p.pk AS INTEGER) AS pk, \
       CAST(p.dflt_value AS TEXT) AS dflt \
FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
  AND m.name <> '_sqlx_migrations' \
ORDER BY m.name, p.cid";

const SQLITE_INDEXES: &str = "\
SELECT CAST(m.name AS TEXT) AS tbl, CAST(il.name AS TEXT) AS idx, \
       CAST(il.\"unique\" AS INTEGER) AS uq, CAST(ii.name AS TEXT) AS col \
FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS il \
     JOIN pragma_index_info(il.name) AS ii \
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
  AND m.name <> '_sqlx_migrations' AND il.origin <> 'pk' \
ORDER BY m.name, il.name, ii.seqno";

const POSTGRES_COLUMNS: &str = "\
SELECT CAST(c.table_name AS TEXT) AS tbl, CAST(c.column_name AS TEXT) AS col, \
       CAST(c.data_type AS TEXT) AS ty, \
       CAST(CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) AS nn, \
       CAST(COALESCE((SELECT k.ordinal_position \
                 FROM information_schema.table_constraints AS tc \
                 JOIN information_schema.key_column_usage AS k \
                   ON k.constraint_name = tc.constraint_name \
                  AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name \
                 WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
                   AND tc.table_name = c.table_name AND k.column_name = c.column_name), 0) \
            AS BIGINT) AS pk, \
       CAST(c.column_default AS TEXT) AS dflt \
FROM information_schema.columns AS c \
WHERE c.table_schema = current_schema() AND c.table_name <> '_sqlx_migrations' \
ORDER BY c.table_name, c.ordinal_position";

const POSTGRES_INDEXES: &str = "\
SELECT CAST(t.relname AS TEXT) AS tbl, CAST(i.relname AS TEXT) AS idx, \
       CAST(CASE WHEN ix.indisunique THEN 1 ELSE 0 END AS BIGINT) AS uq, \
       CAST(a.attname AS TEXT) AS col \
FROM pg_index AS ix \
JOIN pg_class AS t ON t.oid = ix.indrelid \
JOIN pg_class AS i ON i.oid = ix.indexrelid \
JOIN pg_namespace AS n ON n.oid = t.relnamespace \
JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = k.attnum \
WHERE n.nspname = current_schema() AND NOT ix.indisprimary \
  AND t.relname <> '_sqlx_migrations' \
ORDER BY t.relname, i.relname, k.ord";

/// Reads the schema of a migrated database.
pub async fn read_schema(db: &Db) -> Result<Schema> {
    let (cols_sql, idx_sql) = match db.dialect() {
        Dialect::Sqlite => (SQLITE_COLUMNS, SQLITE_INDEXES),
        Dialect::Postgres => (POSTGRES_COLUMNS, POSTGRES_INDEXES),
    };
    let mut schema = Schema::default();
    for r in sqlx::query(cols_sql).fetch_all(db.pool()).await? {
        let table: String = r.try_get("tbl")?;
        let name: String = r.try_get("col")?;
        let ty: String = r.try_get("ty")?;
        let nn: i64 = r.try_get("nn")?;
        let pk: i64 = r.try_get("pk")?;
        let dflt: Option<String> = r.try_get("dflt")?;
        schema.tables.entry(table).or_default().insert(
            name,
            Column {
                ty: normalize_type(&ty),
                not_null: nn != 0 || pk != 0,
                pk,
                default: dflt.as_deref().map(normalize_default),
            },
        );
    }
    let mut by_index: BTreeMap<(String, String), (Vec<String>, bool)> = BTreeMap::new();
    for r in sqlx::query(idx_sql).fetch_all(db.pool()).await? {
        let table: String = r.try_get("tbl")?;
        let index: String = r.try_get("idx")?;
        let unique: i64 = r.try_get("uq")?;
        let col: String = r.try_get("col")?;
        let e = by_index.entry((table, index)).or_default();
        e.0.push(col);
        e.1 = unique != 0;
    }
    schema.indexes = by_index
        .into_iter()
        .map(|((table, _), (cols, unique))| (table, cols, unique))
        .collect();
    Ok(schema)
}

/// Maps a declared type to a portable name: INTEGER/BIGINT/INT/… → `int`, TEXT/VARCHAR/… →
/// `text`, BLOB/BYTEA → `bytes`, REAL/DOUBLE/FLOAT → `real`.
pub fn normalize_type(raw: &str) -> String {
    let t = raw.trim().to_ascii_lowercase();
    if t.contains("int") {
        "int".into()
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text".into()
    } else if t.contains("blob") || t == "bytea" {
        "bytes".into()
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
        "real".into()
    } else {
        t
    }
}

/// Normalises a default expression: strips PostgreSQL casts (`'x'::text` → `'x'`) and outer
/// parentheses.
pub fn normalize_default(raw: &str) -> String {
    let mut s = raw.trim();
    while s.starts_with('(') && s.ends_with(')') {
        s = s[1..s.len() - 1].trim();
    }
    let s = match s.rfind("::") {
        // Only a trailing cast outside a quoted literal.
        Some(i) if !s[i..].contains('\'') => &s[..i],
        _ => s,
    };
    s.trim().to_owned()
}

/// Differences between two schemas, one line each (empty: equivalent).
pub fn diff(a: &Schema, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = a.tables.keys().chain(b.tables.keys()).collect();
    for t in names {
        match (a.tables.get(t), b.tables.get(t)) {
            (Some(_), None) => out.push(format!("table {t}: only in the first schema")),
            (None, Some(_)) => out.push(format!("table {t}: only in the second schema")),
            (Some(ca), Some(cb)) => {
                let cols: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
                for c in cols {
                    match (ca.get(c), cb.get(c)) {
                        (Some(_), None) => {
                            out.push(format!("column {t}.{c}: only in the first schema"))
                        }
                        (None, Some(_)) => {
                            out.push(format!("column {t}.{c}: only in the second schema"))
                        }
                        (Some(x), Some(y)) if x != y => {
                            out.push(format!("column {t}.{c}: {x:?} vs {y:?}"))
                        }
                        _ => {}
                    }
                }
            }
            (None, None) => {}
        }
    }
    for i in a.indexes.difference(&b.indexes) {
        out.push(format!("index {i:?}: only in the first schema"));
    }
    for i in b.indexes.difference(&a.indexes) {
        out.push(format!("index {i:?}: only in the second schema"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(ty: &str, not_null: bool, pk: i64, default: Option<&str>) -> Column {
        Column {
            ty: normalize_type(ty),
            not_null: not_null || pk != 0,
            pk,
            default: default.map(normalize_default),
        }
    }

    fn schema(cols: &[(&str, &str, Column)], indexes: &[Index]) -> Schema {
        let mut s = Schema::default();
        for (t, c, column) in cols {
            s.tables
                .entry(t.to_string())
                .or_default()
                .insert(c.to_string(), column.clone());
        }
        s.indexes = indexes.iter().cloned().collect();
        s
    }

    fn users(email_ty: &str, email_nn: bool, email_default: Option<&str>) -> Schema {
        schema(
            &[
                ("users", "id", col("INTEGER", false, 1, None)),
                ("users", "email", col(email_ty, email_nn, 0, email_default)),
            ],
            &[("users".into(), vec!["email".into()], true)],
        )
    }

    #[test]
    fn types_and_defaults_normalise() {
        assert_eq!(normalize_type("INTEGER"), "int");
        assert_eq!(normalize_type("bigint"), "int");
        assert_eq!(normalize_type("INT"), "int");
        assert_eq!(normalize_type("TEXT"), "text");
        assert_eq!(normalize_type("character varying"), "text");
        assert_eq!(normalize_type("BLOB"), "bytes");
        assert_eq!(normalize_type("bytea"), "bytes");
        assert_eq!(normalize_default("'none'::text"), "'none'");
        assert_eq!(normalize_default("''"), "''");
        assert_eq!(normalize_default("(0)"), "0");
        assert_eq!(normalize_default("'a::b'"), "'a::b'");
    }

    #[test]
    fn equivalent_schemas_have_no_diff() {
        let a = users("TEXT", true, Some("''"));
        let b = users("text", true, Some("''::text"));
        assert_eq!(diff(&a, &b), Vec::<String>::new());
    }

    #[test]
    fn a_differing_column_is_reported() {
        let base = users("TEXT", true, None);
        assert_eq!(diff(&base, &users("BIGINT", true, None)).len(), 1, "type");
        assert_eq!(
            diff(&base, &users("TEXT", false, None)).len(),
            1,
            "nullability"
        );
        assert_eq!(
            diff(&base, &users("TEXT", true, Some("'x'"))).len(),
            1,
            "default"
        );
        let mut missing = base.clone();
        missing.tables.get_mut("users").unwrap().remove("email");
        assert_eq!(diff(&base, &missing).len(), 1, "missing column");
        let mut pk = base.clone();
        pk.tables
            .get_mut("users")
            .unwrap()
            .get_mut("id")
            .unwrap()
            .pk = 0;
        assert_eq!(diff(&base, &pk).len(), 1, "primary key");
    }

    #[test]
    fn differing_tables_and_indexes_are_reported() {
        let base = users("TEXT", true, None);
        let mut extra = base.clone();
        extra.tables.insert("more".into(), BTreeMap::new());
        assert_eq!(diff(&base, &extra).len(), 1);
        let mut not_unique = base.clone();
        not_unique.indexes = [("users".to_string(), vec!["email".to_string()], false)].into();
        assert_eq!(diff(&base, &not_unique).len(), 2);
    }
}
