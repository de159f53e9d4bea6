-- Rebuild daily revenue next to the live table, then swap it in.
CREATE TABLE finance.daily_revenue_new AS
SELECT o.order_date AS day,
       SUM(p.amount) AS revenue,
       COUNT(DISTINCT o.user_id) AS paying_users,
       0::numeric AS refunded
FROM raw.payments p
JOIN raw.orders o ON o.order_id = p.order_id
WHERE p.status = 'paid'
GROUP BY o.order_date;

DROP TABLE IF EXISTS finance.daily_revenue;
ALTER TABLE finance.daily_revenue_new RENAME TO daily_revenue;
