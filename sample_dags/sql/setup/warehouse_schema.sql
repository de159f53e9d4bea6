-- Tempo's warehouse as the sample DAGs expect it (PostgreSQL): staging imports with a few seed rows,
-- and the raw/content tables the platform and content DAGs load. Run once on an empty database.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS content;

CREATE TABLE staging.orders_import (order_id bigint, user_id bigint, amount numeric(12, 2), order_date date, loaded_on date);
CREATE TABLE staging.payments_import (payment_id bigint, order_id bigint, amount numeric(12, 2), status text, loaded_on date);
CREATE TABLE staging.refunds_import (refund_id bigint, order_id bigint, amount numeric(12, 2), refund_date date, loaded_on date);
CREATE TABLE raw.orders (LIKE staging.orders_import);
CREATE TABLE raw.payments (LIKE staging.payments_import);
CREATE TABLE raw.refunds (LIKE staging.refunds_import);

CREATE TABLE staging.artists_import (id bigint, name text, updated_at timestamptz);
CREATE TABLE content.artists (id bigint PRIMARY KEY, name text, updated_at timestamptz);

INSERT INTO staging.orders_import VALUES
    (1, 10, 9.99, '2024-01-15', '2024-01-15'), (2, 11, 14.99, '2024-01-15', '2024-01-15'), (3, 12, 4.99, '2024-01-14', '2024-01-14');
INSERT INTO staging.payments_import VALUES
    (100, 1, 9.99, 'paid', '2024-01-15'), (101, 2, 14.99, 'paid', '2024-01-15');
INSERT INTO staging.refunds_import VALUES (500, 2, 14.99, '2024-01-15', '2024-01-15');
INSERT INTO staging.artists_import VALUES (1, 'Nova Lines', '2024-01-15T06:00:00Z'), (2, 'The Quiet Tapes', '2024-01-15T06:00:00Z');
INSERT INTO content.artists VALUES (1, 'Nova Line', '2023-12-01T00:00:00Z');
