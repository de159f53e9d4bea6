-- Reload one day of plays from the staging import.
DELETE FROM raw.plays WHERE play_date = '{{ ds }}';

INSERT INTO raw.plays (play_id, user_id, track_id, artist_id, played_at, play_date, ms_played)
SELECT play_id, user_id, track_id, artist_id, played_at, played_at::date, ms_played
FROM staging.plays_import
WHERE played_at::date = '{{ ds }}';
