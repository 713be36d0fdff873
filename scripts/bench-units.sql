-- The per-unit table of each centre and month (assigned, completed, overdue, returned,
-- callbacks, satisfied), as an analyst would write it in DuckDB over the same JSON Lines
-- file that `hotline-pulse replay` reads: the reference of scripts/bench-replay.sh.
-- The rules are spec/metrics.md's, simplified where SQL makes them awkward (an extension
-- counts when it is dated before the dispatch deadline it extends); on the simulated
-- streams the result equals hotline-pulse's row for row (the script checks it).
-- `file` is set by the caller (SET VARIABLE file = '...').
SET TimeZone = 'Asia/Shanghai';
-- DuckDB 2.0 estimates the filtered callback scan as tiny and plans the ASOF join below
-- as a nested loop: 45 s of CPU on a Haikou month instead of 0.3 s.
SET asof_loop_join_threshold = 0;
WITH ev AS (
  -- At-least-once delivery: one row per event id of an order.
  SELECT DISTINCT ON (center, order_id, event_id)
    coalesce(center, '12345') AS center, order_id, event_id, type, "at", unit, due_at,
    contacted, satisfaction,
    CASE type WHEN 'received' THEN 0 WHEN 'dispatched' THEN 1 WHEN 'returned' THEN 2
      WHEN 'extended' THEN 3 WHEN 'completed' THEN 4 WHEN 'callback' THEN 5 ELSE 6 END AS rank
  FROM read_json(getvariable('file'), format = 'newline_delimited',
    columns = {event_id: 'VARCHAR', order_id: 'VARCHAR', type: 'VARCHAR',
      "at": 'TIMESTAMPTZ', center: 'VARCHAR', unit: 'VARCHAR', due_at: 'TIMESTAMPTZ',
      contacted: 'BOOLEAN', satisfaction: 'VARCHAR'})
),
as_of AS (SELECT max("at") AS t FROM ev),
orders AS (
  -- The cohort month: the first `received`, else the first event.
  SELECT center, order_id,
    strftime(coalesce(min("at") FILTER (type = 'received'), min("at")), '%Y-%m') AS month
  FROM ev GROUP BY ALL
),
dispatch_ev AS (
  SELECT *,
    last_value(CASE WHEN type IN ('dispatched', 'reopened') THEN due_at END IGNORE NULLS)
      OVER w AS dispatch_due
  FROM ev
  WHERE type IN ('dispatched', 'returned', 'extended', 'completed', 'reopened')
  WINDOW w AS (PARTITION BY center, order_id, unit ORDER BY "at", rank, event_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
unit_ev AS (
  -- The deadline in force before each event at the unit; a late extension moves nothing.
  SELECT *, last_value(effective_due IGNORE NULLS) OVER w AS due_before
  FROM (SELECT *, CASE WHEN type IN ('dispatched', 'reopened') THEN due_at
      WHEN type = 'extended' AND "at" <= dispatch_due THEN due_at END AS effective_due
    FROM dispatch_ev)
  WINDOW w AS (PARTITION BY center, order_id, unit ORDER BY "at", rank, event_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
assignments AS (
  SELECT center, order_id, unit,
    arg_max(type, ("at", rank, event_id)) FILTER (type <> 'extended') AS last_type,
    arg_max(effective_due, ("at", rank, event_id)) FILTER (effective_due IS NOT NULL) AS due,
    bool_or(type IN ('completed', 'returned') AND "at" > due_before) AS missed,
    count(*) FILTER (type = 'returned') > 0 AS returned
  FROM unit_ev GROUP BY ALL
),
completions AS (SELECT center, order_id, unit, "at" FROM ev WHERE type = 'completed'),
first_completion AS (
  SELECT center, order_id, arg_min(unit, "at") AS unit FROM completions GROUP BY ALL
),
ratings AS (
  -- A callback rates the unit it names, else the unit that completed the order last
  -- before it, else the first to complete; per (order, unit) the latest one counts.
  SELECT c.center, c.order_id, coalesce(c.unit, p.unit, f.unit) AS unit,
    arg_max(c.satisfaction, (c."at", c.event_id)) AS satisfaction
  FROM (SELECT * FROM ev WHERE type = 'callback' AND coalesce(contacted, true)
          AND satisfaction IS NOT NULL) c
  ASOF LEFT JOIN completions p
    ON c.center = p.center AND c.order_id = p.order_id AND c."at" >= p."at"
  LEFT JOIN first_completion f ON f.center = c.center AND f.order_id = c.order_id
  GROUP BY ALL
)
SELECT o.center, coalesce(a.unit, r.unit) AS unit, o.month,
  count(*) FILTER (a.last_type IN ('dispatched', 'reopened', 'completed')) AS assigned,
  count(*) FILTER (a.last_type = 'completed') AS completed,
  count(*) FILTER (a.missed OR (a.last_type IN ('dispatched', 'reopened')
    AND (SELECT t FROM as_of) > a.due)) AS overdue,
  count(*) FILTER (a.returned) AS returned,
  count(r.satisfaction) AS callbacks,
  count(*) FILTER (r.satisfaction = 'satisfied') AS satisfied
FROM assignments a
FULL JOIN ratings r USING (center, order_id, unit)
JOIN orders o USING (center, order_id)
WHERE coalesce(a.unit, r.unit) IS NOT NULL
GROUP BY ALL
ORDER BY o.center, o.month, assigned DESC, unit
