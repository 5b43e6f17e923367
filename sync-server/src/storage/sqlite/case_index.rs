//! The case rows' indexed columns in the SQLite record store (schema version 9,
//! `0009_case_columns.sql`): the back-fill of rows from before, and the queue's and
//! the report's queries.

use gridwalk_model::hazard::Event;
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::{Cached, SqliteStore};
use crate::storage::case_index::{
    CaseColumns, CaseIndex, CaseLine, CasePage, CaseQuery, FixTime, GroupCount, OPEN_STATUSES,
    ReportGroup, StatusCount, WeekCount, count, level_of_rank, report_groups_of, status_of,
};
use crate::storage::{StoreError, StoreResult};

/// `status IN ('reported', …)`: the open statuses as SQL.
fn open_list() -> String {
    OPEN_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fills the columns of every row that has none (a row kept before schema version 9),
/// from its fold or its events, in one transaction. Nothing to do on later opens.
pub(super) fn fill_case_columns(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn.transaction()?;
    let missing: Vec<(String, Option<String>)> = tx
        .prepare("SELECT case_id, fold FROM cases WHERE status IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (case_id, fold) in missing {
        let columns = CaseColumns::of_stored(&case_id, fold.as_deref(), || {
            let bodies: Vec<(String, String)> = tx
                .prepare(
                    "SELECT id, body FROM records WHERE case_id = ?1 AND kind = 'hazard-event'
                     ORDER BY seq",
                )?
                .query_map([&case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            bodies
                .iter()
                .map(|(id, body)| {
                    serde_json::from_str::<Event>(body)
                        .map_err(|e| StoreError::Corrupt(format!("stored hazard event {id}: {e}")))
                })
                .collect()
        })?;
        let c = &columns;
        tx.run(
            "UPDATE cases SET status = ?2, level = ?3, category = ?4, report_unit = ?5,
               site = ?6, reported_at_ms = ?7, due_ms = ?8, rectified_at_ms = ?9,
               solved_at_ms = ?10, solved_level = ?11, closed_at_ms = ?12, last_hlc_ms = ?13
             WHERE case_id = ?1",
            params![
                case_id,
                c.status,
                c.level,
                c.category,
                c.report_unit,
                c.site,
                c.reported_at_ms,
                c.due_ms,
                c.rectified_at_ms,
                c.solved_at_ms,
                c.solved_level,
                c.closed_at_ms,
                c.last_hlc_ms
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A JSON array of texts, for `IN (SELECT value FROM json_each(?))`.
fn json_list(items: &[String]) -> StoreResult<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Corrupt(format!("a list: {e}")))
}

/// The queue's `WHERE` clause and its parameters.
fn queue_filter(query: &CaseQuery) -> StoreResult<(String, Vec<Value>)> {
    let mut clauses = vec!["status IS NOT NULL".to_string()];
    let mut values = Vec::new();
    let mut bind = |clause: &str, value: Value, values: &mut Vec<Value>| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(units) = &query.units {
        bind(
            "unit IN (SELECT value FROM json_each(?))",
            Value::Text(json_list(units)?),
            &mut values,
        );
    }
    if let Some(department) = &query.department {
        bind(
            "department = ?",
            Value::Text(department.clone()),
            &mut values,
        );
    }
    if let Some(level) = query.min_level {
        bind("level >= ?", Value::Integer(level), &mut values);
    }
    if let Some(category) = &query.category {
        bind("category = ?", Value::Text(category.clone()), &mut values);
    }
    if let Some(statuses) = &query.statuses {
        bind(
            "status IN (SELECT value FROM json_each(?))",
            Value::Text(json_list(statuses)?),
            &mut values,
        );
    }
    if let Some(at) = query.overdue_at_ms {
        bind(
            &format!("status IN ({}) AND due_ms < ?", open_list()),
            Value::Integer(at),
            &mut values,
        );
    }
    Ok((clauses.join(" AND "), values))
}

impl CaseIndex for SqliteStore {
    fn case_page(&self, query: &CaseQuery) -> StoreResult<CasePage> {
        // The queue's own index, which holds every column it filters by and shows:
        // without statistics the planner would take the report's `cases_due_later` for
        // an overdue filter (its leading status and due time), then read every
        // matching row with its fold.
        let (filter, mut values) = queue_filter(query)?;
        let conn = self.conn()?;
        let total: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM cases INDEXED BY cases_queue WHERE {filter}"
            ))?
            .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        values.push(Value::Integer(limit));
        values.push(Value::Integer(offset));
        let (l, o) = (values.len() - 1, values.len());
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT case_id, unit, department, status, level, category, reported_at_ms, due_ms
             FROM cases INDEXED BY cases_queue WHERE {filter}
             ORDER BY due_ms IS NULL, due_ms, case_id LIMIT ?{l} OFFSET ?{o}"
        ))?;
        let rows = stmt
            .query_map(params_from_iter(values.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let lines = rows
            .into_iter()
            .map(
                |(case_id, unit, department, status, level, category, reported, due)| {
                    Ok(CaseLine {
                        case_id,
                        unit,
                        department,
                        status: status_of(&status)?,
                        level: level_of_rank(level)?,
                        category,
                        reported_at_ms: reported,
                        due_ms: due,
                    })
                },
            )
            .collect::<StoreResult<_>>()?;
        Ok(CasePage {
            lines,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    fn report_groups(&self, as_of_ms: i64) -> StoreResult<Vec<ReportGroup>> {
        let conn = self.conn()?;
        // Each a scan of one index in its own order, counting columns rather than
        // evaluating expressions per row.
        let by_status = conn
            .prepare_cached(
                "SELECT report_unit, category, status, count(*), count(due_ms),
                   count(rectified_at_ms), count(solved_at_ms)
                 FROM cases WHERE category IS NOT NULL
                 GROUP BY report_unit, category, status",
            )?
            .query_map([], |r| {
                Ok(StatusCount {
                    unit: r.get(0)?,
                    category: r.get(1)?,
                    status: r.get(2)?,
                    cases: r.get(3)?,
                    with_due: r.get(4)?,
                    rectified: r.get(5)?,
                    solved: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let solved = conn
            .prepare_cached(
                "SELECT report_unit, category, solved_level, count(*)
                 FROM cases WHERE solved_level IS NOT NULL AND category IS NOT NULL
                 GROUP BY report_unit, category, solved_level",
            )?
            .query_map([], |r| {
                Ok(GroupCount {
                    unit: r.get(0)?,
                    category: r.get(1)?,
                    level: r.get(2)?,
                    cases: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let due_later = conn
            .prepare_cached(&format!(
                "SELECT report_unit, category, count(*) FROM cases
                 WHERE status IN ({}) AND due_ms >= ?1 AND category IS NOT NULL
                 GROUP BY report_unit, category",
                open_list()
            ))?
            .query_map([as_of_ms], |r| {
                Ok(GroupCount {
                    unit: r.get(0)?,
                    category: r.get(1)?,
                    level: None,
                    cases: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        report_groups_of(by_status, solved, due_later)
    }

    fn fix_times(&self) -> StoreResult<Vec<FixTime>> {
        let conn = self.conn()?;
        // `solved_level IS NOT NULL` (set with `solved_at_ms`) reads `cases_solved`.
        let mut stmt = conn.prepare_cached(
            "SELECT report_unit, category, solved_at_ms - reported_at_ms FROM cases
             WHERE solved_level IS NOT NULL AND solved_at_ms IS NOT NULL
               AND reported_at_ms IS NOT NULL AND category IS NOT NULL",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FixTime {
                    unit: r.get(0)?,
                    category: r.get(1)?,
                    ms: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn cases_awaiting_report(&self) -> StoreResult<u32> {
        let conn = self.conn()?;
        let n: i64 = conn
            .prepare_cached(
                // Two small reads: the rows without a report (a partial index the
                // planner would pass over for the queue's), and the cases `put_record`
                // keeps as awaiting (bar any that has a row, which it never leaves).
                "SELECT (SELECT count(*) FROM cases INDEXED BY cases_without_report
                         WHERE status IS NOT NULL AND category IS NULL)
                      + (SELECT count(*) FROM cases_awaiting_report a
                         WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = a.case_id))",
            )?
            .query_row([], |r| r.get(0))?;
        count(n)
    }

    fn latest_case_hlc(&self) -> StoreResult<Option<i64>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT max(last_hlc_ms) FROM cases")?
            .query_row([], |r| r.get(0))?)
    }

    fn week_counts(&self, first_ms: i64, week_ms: i64, now_ms: i64) -> StoreResult<Vec<WeekCount>> {
        if week_ms <= 0 || now_ms <= first_ms {
            return Ok(Vec::new());
        }
        let weeks = (now_ms - first_ms - 1) / week_ms + 1;
        let conn = self.conn()?;
        // Each unit's cases found and solved in each week, as counts of ranges of the
        // (unit, time) indexes: index entries counted, no row read and nothing sorted
        // (grouping by a computed week sorted every case of the weeks: 40 ms of the
        // dashboard's time on 100,000 cases).
        let units: Vec<String> = conn
            .prepare_cached("SELECT DISTINCT unit FROM cases INDEXED BY cases_unit_reported")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut found = conn.prepare_cached(
            "SELECT count(*) FROM cases INDEXED BY cases_unit_reported
             WHERE unit = ?1 AND reported_at_ms > ?2 AND reported_at_ms <= ?3",
        )?;
        let mut solved = conn.prepare_cached(
            "SELECT count(*) FROM cases INDEXED BY cases_unit_solved
             WHERE unit = ?1 AND solved_at_ms > ?2 AND solved_at_ms <= ?3",
        )?;
        let mut counts = Vec::new();
        for unit in units {
            for week in 0..weeks {
                // Week `week` holds the times in (start, end], as `(t - first - 1) / week`.
                let start = first_ms + week * week_ms;
                let end = (start + week_ms).min(now_ms);
                let f: i64 = found.query_row(params![unit, start, end], |r| r.get(0))?;
                let v: i64 = solved.query_row(params![unit, start, end], |r| r.get(0))?;
                if f > 0 || v > 0 {
                    counts.push(WeekCount {
                        unit: unit.clone(),
                        week,
                        found: count(f)?,
                        verified: count(v)?,
                    });
                }
            }
        }
        Ok(counts)
    }

    fn open_cases_by_site(&self, units: Option<&[String]>) -> StoreResult<Vec<(String, u32)>> {
        let conn = self.conn()?;
        let (area, values) = match units {
            Some(units) => (
                "AND unit IN (SELECT value FROM json_each(?1))",
                vec![Value::Text(json_list(units)?)],
            ),
            None => ("", Vec::new()),
        };
        let rows = conn
            .prepare_cached(&format!(
                "SELECT site, count(*) FROM cases
                 WHERE status IN ({}) AND site IS NOT NULL {area}
                 GROUP BY site",
                open_list()
            ))?
            .query_map(params_from_iter(values.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(site, n)| Ok((site, count(n)?)))
            .collect()
    }

    fn case_columns(&self, case_id: &str) -> StoreResult<Option<CaseColumns>> {
        let conn = self.conn()?;
        let row = conn
            .prepare_cached(
                "SELECT status, level, category, report_unit, site, reported_at_ms, due_ms,
                   rectified_at_ms, solved_at_ms, solved_level, closed_at_ms, last_hlc_ms
                 FROM cases WHERE case_id = ?1 AND status IS NOT NULL",
            )?
            .query_row([case_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    CaseColumns {
                        status: "",
                        level: r.get(1)?,
                        category: r.get(2)?,
                        report_unit: r.get(3)?,
                        site: r.get(4)?,
                        reported_at_ms: r.get(5)?,
                        due_ms: r.get(6)?,
                        rectified_at_ms: r.get(7)?,
                        solved_at_ms: r.get(8)?,
                        solved_level: r.get(9)?,
                        closed_at_ms: r.get(10)?,
                        last_hlc_ms: r.get(11)?,
                    },
                ))
            });
        match row {
            Ok((status, mut columns)) => {
                columns.status = status_of(&status)?.as_str();
                Ok(Some(columns))
            }
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
