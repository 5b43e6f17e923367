//! [`TableRows`] on the PostgreSQL store: the target of `migrate`. Text keys are
//! ordered `COLLATE "C"` (bytewise, as SQLite's `BINARY`), so a resumed copy continues
//! exactly after the last row it wrote.

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PgStore, execute, query, query_one};
use crate::storage::copy::{
    Cell, ColumnType, CopiedTable, TableRows, after_key_condition, key_order,
};
use crate::storage::{StoreError, StoreResult};

/// Bytewise order for text keys.
const BYTEWISE: &str = " COLLATE \"C\"";

/// A column read back as the [`Cell`] its type says.
fn cell(row: &Row, index: usize, ty: ColumnType) -> StoreResult<Cell> {
    Ok(match ty {
        ColumnType::Int => row.try_get::<_, Option<i64>>(index)?.map(Cell::Int),
        ColumnType::Real => row.try_get::<_, Option<f64>>(index)?.map(Cell::Real),
        ColumnType::Text => row.try_get::<_, Option<String>>(index)?.map(Cell::Text),
        ColumnType::Bool => row.try_get::<_, Option<bool>>(index)?.map(Cell::Bool),
    }
    .unwrap_or(Cell::Null))
}

/// A cell as a parameter of the column's type (a `NULL` typed too, as PostgreSQL
/// checks every parameter against its column).
fn param(cell: &Cell, ty: ColumnType) -> StoreResult<Box<dyn ToSql + Sync + Send>> {
    Ok(match (cell, ty) {
        (Cell::Null, ColumnType::Int) => Box::new(None::<i64>),
        (Cell::Null, ColumnType::Real) => Box::new(None::<f64>),
        (Cell::Null, ColumnType::Text) => Box::new(None::<String>),
        (Cell::Null, ColumnType::Bool) => Box::new(None::<bool>),
        (Cell::Int(v), ColumnType::Int) => Box::new(*v),
        (Cell::Real(v), ColumnType::Real) => Box::new(*v),
        (Cell::Text(v), ColumnType::Text) => Box::new(v.clone()),
        (Cell::Bool(v), ColumnType::Bool) => Box::new(*v),
        (other, ty) => {
            return Err(StoreError::Corrupt(format!(
                "a {other:?} for a {ty:?} column"
            )));
        }
    })
}

fn params(
    cells: &[Cell],
    columns: &[(&str, ColumnType)],
) -> StoreResult<Vec<Box<dyn ToSql + Sync + Send>>> {
    if cells.len() != columns.len() {
        return Err(StoreError::Corrupt(format!(
            "{} values for {} columns",
            cells.len(),
            columns.len()
        )));
    }
    cells
        .iter()
        .zip(columns)
        .map(|(cell, (_, ty))| param(cell, *ty))
        .collect()
}

fn refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

fn rows_of(rows: &[Row], columns: &[(&str, ColumnType)]) -> StoreResult<Vec<Vec<Cell>>> {
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| cell(row, i, *ty))
                .collect()
        })
        .collect()
}

fn only(table: &CopiedTable, joiner: &str) -> String {
    table
        .only
        .map(|condition| format!(" {joiner} {condition}"))
        .unwrap_or_default()
}

impl TableRows for PgStore {
    fn read_rows(
        &self,
        table: &CopiedTable,
        after: Option<&[Cell]>,
        limit: usize,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        let mut values = match after {
            Some(key) => params(key, table.key_columns())?,
            None => Vec::new(),
        };
        let condition = match after {
            Some(_) => format!(
                " WHERE {}{}",
                after_key_condition(table, |i| format!("${i}"), BYTEWISE),
                only(table, "AND")
            ),
            None => only(table, "WHERE"),
        };
        values.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {} FROM {}{condition} ORDER BY {} LIMIT ${}",
            table.column_list(),
            table.name,
            key_order(table, BYTEWISE, false),
            values.len()
        );
        self.run(async {
            let c = self.client().await?;
            let rows = query(&c, &sql, &refs(&values)).await?;
            rows_of(&rows, table.columns)
        })
    }

    fn write_rows(&self, table: &CopiedTable, rows: &[Vec<Cell>]) -> StoreResult<()> {
        let placeholders = (1..=table.columns.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        // The records' seq is drawn by the database (an identity column): the copy
        // keeps the source's numbers, so every device's pull cursor stays valid.
        let overriding = if table.drawn_key {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {}({}){overriding} VALUES ({placeholders}) ON CONFLICT DO NOTHING",
            table.name,
            table.column_list()
        );
        let rows = rows
            .iter()
            .map(|row| params(row, table.columns))
            .collect::<StoreResult<Vec<_>>>()?;
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            for row in &rows {
                execute(&tx, &sql, &refs(row)).await?;
            }
            if table.drawn_key {
                // New records draw numbers after every copied one, in this
                // transaction, so a kill never leaves the counter behind the rows.
                let (key, _) = table.columns[0];
                query_one(
                    &tx,
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{name}', '{key}'),
                                       greatest(max({key}), 1), max({key}) IS NOT NULL)
                         FROM {name}",
                        name = table.name
                    ),
                    &[],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn last_key(&self, table: &CopiedTable) -> StoreResult<Option<Vec<Cell>>> {
        let keys = table.key_columns();
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT 1",
            keys.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            table.name,
            only(table, "WHERE"),
            key_order(table, BYTEWISE, true)
        );
        self.run(async {
            let c = self.client().await?;
            let rows = query(&c, &sql, &[]).await?;
            Ok(rows_of(&rows, keys)?.into_iter().next())
        })
    }

    fn count_rows(&self, table: &CopiedTable) -> StoreResult<u64> {
        let sql = format!(
            "SELECT count(*) FROM {}{}",
            table.name,
            only(table, "WHERE")
        );
        self.run(async {
            let c = self.client().await?;
            let n: i64 = query_one(&c, &sql, &[]).await?.try_get(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}
