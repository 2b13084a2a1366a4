//! Wallet dump files, in the reference's layout: a `BITCOIN_CORE_WALLET_DUMP,1`
//! line, a `format,sqlite` line, one `key,value` line per record (both hex),
//! and a `checksum` line holding the double SHA-256 of every line before it.
//! The records are the wallet file's SQLite schema and rows, so
//! `createfromdump` rebuilds the same wallet, whatever tables it has.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use bdk_wallet::rusqlite::types::Value as SqlValue;
use bdk_wallet::rusqlite::{params_from_iter, Connection, OpenFlags};
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::hex::{DisplayHex, FromHex};
use serde_json::{json, Value};

const MAGIC: &str = "BITCOIN_CORE_WALLET_DUMP";
const VERSION: &str = "1";
const FORMAT: &str = "sqlite";

/// Keys of schema records (`schema\0<type>\0<name>`, value: the SQL) and of
/// rows (`row\0<table>\0<8-byte index>`, value: the row's typed values as JSON).
const SCHEMA: &[u8] = b"schema";
const ROW: &[u8] = b"row";

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{0}")]
    Io(String),
    #[error("Wallet database error: {0}")]
    Database(#[from] bdk_wallet::rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DumpError + '_ {
    move |e| DumpError::Io(format!("{}: {e}", path.display()))
}

fn key(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&0u8)
}

/// Writes the records of the SQLite wallet at `db` to a new file `out`.
pub fn dump(db: &Path, out: &Path) -> Result<(), DumpError> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let file = OpenOptions::new().write(true).create_new(true).open(out).map_err(io(out))?;
    let mut writer = LineWriter { out: BufWriter::new(file), hash: sha256d::Hash::engine() };
    writer.line(MAGIC, VERSION).map_err(io(out))?;
    writer.line("format", FORMAT).map_err(io(out))?;

    let mut schema = conn.prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         ORDER BY type != 'table', name",
    )?;
    let entries: Vec<(String, String, String)> =
        schema.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    for (kind, name, sql) in &entries {
        let k = key(&[SCHEMA, kind.as_bytes(), name.as_bytes()]);
        writer.line(&k.to_lower_hex_string(), &sql.as_bytes().to_lower_hex_string()).map_err(io(out))?;
    }
    for (_, table, _) in entries.iter().filter(|(kind, _, _)| kind == "table") {
        let mut rows = conn.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))?;
        let columns = rows.column_count();
        let mut query = rows.query([])?;
        let mut index: u64 = 0;
        while let Some(row) = query.next()? {
            let values: Vec<Value> =
                (0..columns).map(|i| row.get::<_, SqlValue>(i).map(|v| encode(&v))).collect::<Result<_, _>>()?;
            let k = key(&[ROW, table.as_bytes(), &index.to_be_bytes()]);
            let v = Value::Array(values).to_string();
            writer.line(&k.to_lower_hex_string(), &v.as_bytes().to_lower_hex_string()).map_err(io(out))?;
            index += 1;
        }
    }
    let checksum = sha256d::Hash::from_engine(writer.hash.clone());
    writeln!(writer.out, "checksum,{}", checksum.as_byte_array().to_lower_hex_string()).map_err(io(out))?;
    let file = writer.out.into_inner().map_err(|e| DumpError::Io(format!("{}: {e}", out.display())))?;
    file.sync_all().map_err(io(out))
}

/// Lines into the file and the checksum.
struct LineWriter {
    out: BufWriter<File>,
    hash: <sha256d::Hash as Hash>::Engine,
}

impl LineWriter {
    fn line(&mut self, key: &str, value: &str) -> std::io::Result<()> {
        let line = format!("{key},{value}\n");
        self.hash.input(line.as_bytes());
        self.out.write_all(line.as_bytes())
    }
}

/// A column value, typed, as JSON: exact for every SQLite type.
fn encode(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => json!(["n"]),
        SqlValue::Integer(i) => json!(["i", i.to_string()]),
        SqlValue::Real(f) => json!(["r", f.to_string()]),
        SqlValue::Text(t) => json!(["t", t]),
        SqlValue::Blob(b) => json!(["b", b.to_lower_hex_string()]),
    }
}

fn decode(v: &Value) -> Option<SqlValue> {
    let parts = v.as_array()?;
    let text = || parts.get(1).and_then(Value::as_str);
    Some(match parts.first()?.as_str()? {
        "n" => SqlValue::Null,
        "i" => SqlValue::Integer(text()?.parse().ok()?),
        "r" => SqlValue::Real(text()?.parse().ok()?),
        "t" => SqlValue::Text(text()?.to_string()),
        "b" => SqlValue::Blob(Vec::from_hex(text()?).ok()?),
        _ => return None,
    })
}

/// Builds a new SQLite wallet at `db` from the dump file `input`, checking
/// the file's identity and checksum before reading any record.
pub fn restore(input: &Path, db: &Path) -> Result<(), DumpError> {
    let file = File::open(input).map_err(io(input))?;
    let mut hash = <sha256d::Hash as Hash>::engine();
    let mut records: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut checksum = None;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(input))?;
        let (k, v) = line.split_once(',').unwrap_or((line.as_str(), ""));
        if n == 0 {
            if k != MAGIC {
                return Err(DumpError::Invalid(format!(
                    "Dumpfile identifier record is incorrect. Got \"{k}\", expected \"{MAGIC}\"."
                )));
            }
            if v != VERSION {
                return Err(DumpError::Invalid(format!(
                    "Dumpfile version is not supported. This version of hashvive-wallet only supports version 1 \
                     dumpfiles. Got dumpfile with version {v}"
                )));
            }
        } else if n == 1 {
            if k != "format" {
                return Err(DumpError::Invalid(format!(
                    "Dumpfile format record is incorrect. Got \"{k}\", expected \"format\"."
                )));
            }
            if v != FORMAT {
                return Err(DumpError::Invalid(format!(
                    "Dumpfile format \"{v}\" is not supported: only \"{FORMAT}\" dumps can be restored."
                )));
            }
        } else if k == "checksum" {
            checksum = Some(v.to_string());
            break;
        } else {
            let key = Vec::from_hex(k).map_err(|_| DumpError::Invalid(format!("Got key that was not hex: {k}")))?;
            let value = Vec::from_hex(v).map_err(|_| DumpError::Invalid(format!("Got value that was not hex: {v}")))?;
            records.push((key, value));
        }
        hash.input(format!("{line}\n").as_bytes());
    }
    let read = checksum.ok_or_else(|| DumpError::Invalid("Missing checksum".into()))?;
    let computed = sha256d::Hash::from_engine(hash).as_byte_array().to_lower_hex_string();
    if read.len() != 64 {
        return Err(DumpError::Invalid("Checksum is not the correct size".into()));
    }
    if read != computed {
        return Err(DumpError::Invalid(format!("Dumpfile checksum does not match. Computed {computed}, read {read}")));
    }

    let mut schema_tables = Vec::new();
    let mut schema_other = Vec::new();
    let mut rows: Vec<(String, Vec<SqlValue>)> = Vec::new();
    for (key, value) in &records {
        let bad = || DumpError::Invalid(format!("Unknown record in the dumpfile: {}", key.to_lower_hex_string()));
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| bad());
        let parts: Vec<&[u8]> = key.splitn(3, |b| *b == 0).collect();
        match parts.as_slice() {
            [SCHEMA, kind, _] => {
                let sql = text(value)?;
                if *kind == b"table" {
                    schema_tables.push(sql);
                } else {
                    schema_other.push(sql);
                }
            }
            [ROW, table, _] => {
                let json: Value = serde_json::from_slice(value).map_err(|_| bad())?;
                let values = json.as_array().ok_or_else(bad)?.iter().map(decode).collect::<Option<Vec<_>>>();
                rows.push((text(table)?, values.ok_or_else(bad)?));
            }
            _ => return Err(bad()),
        }
    }

    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut conn = Connection::open(db)?;
    // Rows come table by table, not in the order their references need; the
    // whole is checked once it is in.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let tx = conn.transaction()?;
    for sql in &schema_tables {
        tx.execute(sql, [])?;
    }
    for (table, values) in &rows {
        let marks = vec!["?"; values.len()].join(", ");
        let sql = format!("INSERT INTO \"{}\" VALUES ({marks})", table.replace('"', "\"\""));
        tx.execute(&sql, params_from_iter(values.iter()))?;
    }
    for sql in &schema_other {
        tx.execute(sql, [])?;
    }
    let dangling: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
    if dangling > 0 {
        return Err(DumpError::Invalid(format!(
            "The dumpfile's records do not fit together ({dangling} dangling references)"
        )));
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_restores_the_same_rows_and_a_damaged_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.dat");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB, s TEXT, r REAL, n TEXT);
             CREATE INDEX t_s ON t (s);
             INSERT INTO t VALUES (1, x'00ff', 'a,b\nc', 1.5, NULL), (2, x'', '', -0.25, NULL);",
        )
        .unwrap();
        drop(conn);
        let file = dir.path().join("dump.txt");
        dump(&db, &file).unwrap();
        assert!(dump(&db, &file).is_err(), "an existing dump file is never overwritten");

        let copy = dir.path().join("b/b.dat");
        restore(&file, &copy).unwrap();
        let conn = Connection::open(&copy).unwrap();
        let rows: Vec<(i64, Vec<u8>, String, f64)> = conn
            .prepare("SELECT k, v, s, r FROM t ORDER BY k")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, vec![(1, vec![0, 255], "a,b\nc".into(), 1.5), (2, vec![], String::new(), -0.25)]);
        let index: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 't_s'", [], |r| r.get(0)).unwrap();
        assert_eq!(index, 1);

        let text = std::fs::read_to_string(&file).unwrap();
        let tampered = dir.path().join("tampered.txt");
        std::fs::write(&tampered, text.replacen("format,sqlite\n", "format,sqlite\n00,00\n", 1)).unwrap();
        let err = restore(&tampered, &dir.path().join("c.dat")).unwrap_err().to_string();
        assert!(err.starts_with("Dumpfile checksum does not match"), "{err}");
        let wrong = dir.path().join("wrong.txt");
        std::fs::write(&wrong, text.replacen(MAGIC, "NOT_A_DUMP", 1)).unwrap();
        let err = restore(&wrong, &dir.path().join("d.dat")).unwrap_err().to_string();
        assert!(err.contains("identifier record is incorrect"), "{err}");
    }
}
