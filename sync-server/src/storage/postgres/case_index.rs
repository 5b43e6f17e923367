//! The case rows' indexed columns in the PostgreSQL record store (schema version 4,
//! `0004_case_columns.sql`, `0007_dashboard_reads.sql`): the twin of
//! `sqlite/case_index.rs`, query by query, bar the weekly trend, which PostgreSQL
//! groups by hash in one query where SQLite counts index ranges per unit and week.

use gridwalk_model::hazard::Event;
use tokio_postgres::types::ToSql;

use super::{PgStore, advisory_key, query, query_one, query_opt};
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

/// Fills the columns of every row that has none (a row kept before schema version 4),
/// from its fold or its events, in one transaction under the migration's advisory lock
/// (replicas starting together fill once).
pub(super) async fn fill_case_columns(client: &mut tokio_postgres::Client) -> StoreResult<()> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&advisory_key("migrate", "schema")],
    )
    .await?;
    let missing = tx
        .query("SELECT case_id, fold FROM cases WHERE status IS NULL", &[])
        .await?;
    for row in missing {
        let case_id: String = row.try_get(0)?;
        let fold: Option<String> = row.try_get(1)?;
        let bodies = tx
            .query(
                "SELECT id, body FROM records WHERE case_id = $1 AND kind = 'hazard-event'
                 ORDER BY seq",
                &[&case_id],
            )
            .await?;
        let columns = CaseColumns::of_stored(&case_id, fold.as_deref(), || {
            bodies
                .iter()
                .map(|r| {
                    let id: String = r.try_get(0)?;
                    let body: String = r.try_get(1)?;
                    serde_json::from_str::<Event>(&body)
                        .map_err(|e| StoreError::Corrupt(format!("stored hazard event {id}: {e}")))
                })
                .collect()
        })?;
        let c = &columns;
        tx.execute(
            "UPDATE cases SET status = $2, level = $3, category = $4, report_unit = $5,
               site = $6, reported_at_ms = $7, due_ms = $8, rectified_at_ms = $9,
               solved_at_ms = $10, solved_level = $11, closed_at_ms = $12, last_hlc_ms = $13
             WHERE case_id = $1",
            &[
                &case_id,
                &c.status,
                &c.level,
                &c.category,
                &c.report_unit,
                &c.site,
                &c.reported_at_ms,
                &c.due_ms,
                &c.rectified_at_ms,
                &c.solved_at_ms,
                &c.solved_level,
                &c.closed_at_ms,
                &c.last_hlc_ms,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The queue's parameters, boxed so the `WHERE` clause can name only those it uses.
type Params = Vec<Box<dyn ToSql + Sync + Send>>;

/// The queue's `WHERE` clause and its parameters.
fn queue_filter(query: &CaseQuery) -> (String, Params) {
    let mut clauses = vec!["status IS NOT NULL".to_string()];
    let mut values: Params = Vec::new();
    let mut bind = |clause: &str, value: Box<dyn ToSql + Sync + Send>, values: &mut Params| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("${}", values.len())));
    };
    if let Some(units) = &query.units {
        bind("unit = ANY(?)", Box::new(units.clone()), &mut values);
    }
    if let Some(department) = &query.department {
        bind("department = ?", Box::new(department.clone()), &mut values);
    }
    if let Some(level) = query.min_level {
        bind("level >= ?", Box::new(level), &mut values);
    }
    if let Some(category) = &query.category {
        bind("category = ?", Box::new(category.clone()), &mut values);
    }
    if let Some(statuses) = &query.statuses {
        bind("status = ANY(?)", Box::new(statuses.clone()), &mut values);
    }
    if let Some(at) = query.overdue_at_ms {
        bind(
            &format!("status IN ({}) AND due_ms < ?", open_list()),
            Box::new(at),
            &mut values,
        );
    }
    (clauses.join(" AND "), values)
}

fn refs(values: &Params) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl CaseIndex for PgStore {
    fn case_page(&self, q: &CaseQuery) -> StoreResult<CasePage> {
        let (filter, mut values) = queue_filter(q);
        self.run(async {
            let c = self.client().await?;
            let total: i64 = query_one(
                &c,
                &format!("SELECT count(*) FROM cases WHERE {filter}"),
                &refs(&values),
            )
            .await?
            .try_get(0)?;
            values.push(Box::new(i64::try_from(q.limit).unwrap_or(i64::MAX)));
            values.push(Box::new(i64::try_from(q.offset).unwrap_or(i64::MAX)));
            let (l, o) = (values.len() - 1, values.len());
            let rows = query(
                &c,
                &format!(
                    "SELECT case_id, unit, department, status, level, category,
                       reported_at_ms, due_ms
                     FROM cases WHERE {filter}
                     ORDER BY due_ms IS NULL, due_ms, case_id LIMIT ${l} OFFSET ${o}"
                ),
                &refs(&values),
            )
            .await?;
            let lines = rows
                .iter()
                .map(|r| {
                    Ok(CaseLine {
                        case_id: r.try_get(0)?,
                        unit: r.try_get(1)?,
                        department: r.try_get(2)?,
                        status: status_of(r.try_get(3)?)?,
                        level: level_of_rank(r.try_get(4)?)?,
                        category: r.try_get(5)?,
                        reported_at_ms: r.try_get(6)?,
                        due_ms: r.try_get(7)?,
                    })
                })
                .collect::<StoreResult<_>>()?;
            Ok(CasePage {
                lines,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
    }

    fn report_groups(&self, as_of_ms: i64) -> StoreResult<Vec<ReportGroup>> {
        let open = open_list();
        self.run(async {
            let c = self.client().await?;
            let by_status = query(
                &c,
                "SELECT report_unit, category, status, count(*), count(due_ms),
                   count(rectified_at_ms), count(solved_at_ms)
                 FROM cases WHERE category IS NOT NULL
                 GROUP BY report_unit, category, status",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(StatusCount {
                    unit: r.try_get(0)?,
                    category: r.try_get(1)?,
                    status: r.try_get(2)?,
                    cases: r.try_get(3)?,
                    with_due: r.try_get(4)?,
                    rectified: r.try_get(5)?,
                    solved: r.try_get(6)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            let solved = query(
                &c,
                "SELECT report_unit, category, solved_level, count(*)
                 FROM cases WHERE solved_level IS NOT NULL AND category IS NOT NULL
                 GROUP BY report_unit, category, solved_level",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(GroupCount {
                    unit: r.try_get(0)?,
                    category: r.try_get(1)?,
                    level: r.try_get(2)?,
                    cases: r.try_get(3)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            let due_later = query(
                &c,
                &format!(
                    "SELECT report_unit, category, count(*) FROM cases
                     WHERE status IN ({open}) AND due_ms >= $1 AND category IS NOT NULL
                     GROUP BY report_unit, category"
                ),
                &[&as_of_ms],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(GroupCount {
                    unit: r.try_get(0)?,
                    category: r.try_get(1)?,
                    level: None,
                    cases: r.try_get(2)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            report_groups_of(by_status, solved, due_later)
        })
    }

    fn fix_times(&self) -> StoreResult<Vec<FixTime>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT report_unit, category, solved_at_ms - reported_at_ms FROM cases
                 WHERE solved_level IS NOT NULL AND solved_at_ms IS NOT NULL
                   AND reported_at_ms IS NOT NULL AND category IS NOT NULL",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(FixTime {
                        unit: r.try_get(0)?,
                        category: r.try_get(1)?,
                        ms: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn cases_awaiting_report(&self) -> StoreResult<u32> {
        self.run(async {
            let c = self.client().await?;
            // The rows without a report, and the cases `put_record` keeps as awaiting
            // (bar any that has a row, which it never leaves).
            let n: i64 = query_one(
                &c,
                "SELECT (SELECT count(*) FROM cases
                         WHERE status IS NOT NULL AND category IS NULL)
                      + (SELECT count(*) FROM cases_awaiting_report a
                         WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = a.case_id))",
                &[],
            )
            .await?
            .try_get(0)?;
            count(n)
        })
    }

    fn latest_case_hlc(&self) -> StoreResult<Option<i64>> {
        self.run(async {
            let c = self.client().await?;
            Ok(query_one(&c, "SELECT max(last_hlc_ms) FROM cases", &[])
                .await?
                .try_get(0)?)
        })
    }

    fn week_counts(&self, first_ms: i64, week_ms: i64, now_ms: i64) -> StoreResult<Vec<WeekCount>> {
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                "SELECT unit, w, sum(found)::BIGINT, sum(verified)::BIGINT FROM (
                   SELECT unit, (reported_at_ms - $1 - 1) / $2 AS w, 1 AS found, 0 AS verified
                   FROM cases WHERE reported_at_ms > $1 AND reported_at_ms <= $3
                   UNION ALL
                   SELECT unit, (solved_at_ms - $1 - 1) / $2, 0, 1
                   FROM cases WHERE solved_at_ms > $1 AND solved_at_ms <= $3) AS t
                 GROUP BY unit, w ORDER BY unit, w",
                &[&first_ms, &week_ms, &now_ms],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(WeekCount {
                        unit: r.try_get(0)?,
                        week: r.try_get(1)?,
                        found: count(r.try_get(2)?)?,
                        verified: count(r.try_get(3)?)?,
                    })
                })
                .collect()
        })
    }

    fn open_cases_by_site(&self, units: Option<&[String]>) -> StoreResult<Vec<(String, u32)>> {
        let open = open_list();
        let units: Option<Vec<String>> = units.map(<[String]>::to_vec);
        self.run(async {
            let c = self.client().await?;
            let rows = query(
                &c,
                &format!(
                    "SELECT site, count(*) FROM cases
                     WHERE status IN ({open}) AND site IS NOT NULL
                       AND ($1::TEXT[] IS NULL OR unit = ANY($1))
                     GROUP BY site"
                ),
                &[&units],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, count(r.try_get(1)?)?)))
                .collect()
        })
    }

    fn case_columns(&self, case_id: &str) -> StoreResult<Option<CaseColumns>> {
        self.run(async {
            let c = self.client().await?;
            let Some(r) = query_opt(
                &c,
                "SELECT status, level, category, report_unit, site, reported_at_ms, due_ms,
                   rectified_at_ms, solved_at_ms, solved_level, closed_at_ms, last_hlc_ms
                 FROM cases WHERE case_id = $1 AND status IS NOT NULL",
                &[&case_id],
            )
            .await?
            else {
                return Ok(None);
            };
            Ok(Some(CaseColumns {
                status: status_of(r.try_get(0)?)?.as_str(),
                level: r.try_get(1)?,
                category: r.try_get(2)?,
                report_unit: r.try_get(3)?,
                site: r.try_get(4)?,
                reported_at_ms: r.try_get(5)?,
                due_ms: r.try_get(6)?,
                rectified_at_ms: r.try_get(7)?,
                solved_at_ms: r.try_get(8)?,
                solved_level: r.try_get(9)?,
                closed_at_ms: r.try_get(10)?,
                last_hlc_ms: r.try_get(11)?,
            }))
        })
    }
}
