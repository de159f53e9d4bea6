-- Weekly trial funnel: starts, conversions and listening during the trial.
{% set window_start = macros.ds_add(ds, -7) %}
DELETE FROM growth.trial_metrics_weekly WHERE week_start = '{{ window_start }}';

INSERT INTO growth.trial_metrics_weekly (week_start, country, trials, conversions, avg_minutes)
WITH trials AS (
    SELECT user_id, country, converted_at
    FROM growth.trial_starts
    WHERE trial_started_at >= '{{ window_start }}' AND trial_started_at < '{{ ds }}'
),
listening AS (
    SELECT p.user_id, SUM(p.ms_played) / 60000.0 AS minutes
    FROM raw.plays p
    JOIN trials t ON t.user_id = p.user_id
    WHERE p.play_date >= '{{ window_start }}'
    GROUP BY p.user_id
)
SELECT '{{ window_start }}'::date, t.country, COUNT(*), COUNT(t.converted_at), AVG(l.minutes)
FROM trials t
LEFT JOIN listening l ON l.user_id = t.user_id
GROUP BY t.country;
