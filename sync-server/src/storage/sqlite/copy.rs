//! [`TableRows`] on the SQLite store: the source of `migrate`, and a target too (the
//! copy is the same in both directions).

use rusqlite::types::{Value, ValueRef};

use super::{Cached, SqliteStore};
use crate::storage::copy::{
    Cell, ColumnType, CopiedTable, TableRows, after_key_condition, key_order,
};
use crate::storage::{StoreError, StoreResult};

/// A column read back as the [`Cell`] its type says; anything else is corrupt data.
fn cell(value: ValueRef<'_>, ty: ColumnType, table: &str, column: &str) -> StoreResult<Cell> {
    Ok(match (value, ty) {
        (ValueRef::Null, _) => Cell::Null,
        (ValueRef::Integer(v), ColumnType::Int) => Cell::Int(v),
        (ValueRef::Integer(v), ColumnType::Bool) => Cell::Bool(v != 0),
        (ValueRef::Real(v), ColumnType::Real) => Cell::Real(v),
        (ValueRef::Integer(v), ColumnType::Real) => Cell::Real(v as f64),
        (ValueRef::Text(v), ColumnType::Text) => Cell::Text(
            std::str::from_utf8(v)
                .map_err(|_| StoreError::Corrupt(format!("{table}.{column} is not UTF-8")))?
                .to_string(),
        ),
        (other, _) => {
            return Err(StoreError::Corrupt(format!(
                "{table}.{column} holds {:?}, not {ty:?}",
                other.data_type()
            )));
        }
    })
}

/// A cell as a SQLite parameter (booleans as 0/1, as the store keeps them).
fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(v) => Value::Integer(*v),
        Cell::Real(v) => Value::Real(*v),
        Cell::Text(v) => Value::Text(v.clone()),
        Cell::Bool(v) => Value::Integer(i64::from(*v)),
    }
}

/// ` WHERE only` / ` AND only` for a table's copied rows.
fn only(table: &CopiedTable, joiner: &str) -> String {
    table
        .only
        .map(|condition| format!(" {joiner} {condition}"))
        .unwrap_or_default()
}

fn rows_of(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[Value],
    table: &CopiedTable,
    columns: &[(&'static str, ColumnType)],
) -> StoreResult<Vec<Vec<Cell>>> {
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(columns.len());
        for (i, (name, ty)) in columns.iter().enumerate() {
            cells.push(cell(row.get_ref(i)?, *ty, table.name, name)?);
        }
        out.push(cells);
    }
    Ok(out)
}

impl TableRows for SqliteStore {
    fn read_rows(
        &self,
        table: &CopiedTable,
        after: Option<&[Cell]>,
        limit: usize,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        let conn = self.conn()?;
        let mut params: Vec<Value> = after.unwrap_or_default().iter().map(value).collect();
        let condition = match after {
            Some(_) => format!(
                " WHERE {}{}",
                after_key_condition(table, |i| format!("?{i}"), ""),
                only(table, "AND")
            ),
            None => only(table, "WHERE"),
        };
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {} FROM {}{condition} ORDER BY {} LIMIT ?{}",
            table.column_list(),
            table.name,
            key_order(table, "", false),
            params.len()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        rows_of(&mut stmt, &params, table, table.columns)
    }

    fn write_rows(&self, table: &CopiedTable, rows: &[Vec<Cell>]) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        {
            // AUTOINCREMENT keeps its counter past every explicit seq written, so the
            // records' drawn key needs nothing more here.
            let placeholders = (1..=table.columns.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut stmt = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO {}({}) VALUES ({placeholders})",
                table.name,
                table.column_list()
            ))?;
            for row in rows {
                let params: Vec<Value> = row.iter().map(value).collect();
                stmt.execute(rusqlite::params_from_iter(params))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn last_key(&self, table: &CopiedTable) -> StoreResult<Option<Vec<Cell>>> {
        let conn = self.conn()?;
        let keys = table.key_columns();
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT 1",
            keys.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            table.name,
            only(table, "WHERE"),
            key_order(table, "", true)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(rows_of(&mut stmt, &[], table, keys)?.into_iter().next())
    }

    fn count_rows(&self, table: &CopiedTable) -> StoreResult<u64> {
        let conn = self.conn()?;
        let n: i64 = conn.row(
            &format!(
                "SELECT count(*) FROM {}{}",
                table.name,
                only(table, "WHERE")
            ),
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
