CREATE TEMP TABLE day_plays AS
SELECT user_id, played_at FROM raw.plays WHERE play_date = CURRENT_DATE - 1;

INSERT INTO raw.sessions (user_id, session_start, plays)
SELECT user_id, min(played_at), count(*)
FROM day_plays
GROUP BY user_id;
