-- A sample orders table for a shop that has none yet (MySQL 8.0.16+ or MariaDB 10.5+).
-- If you already have an orders table, do not run this: map yours with the
-- store's `orders` option (table, id / amount / currency / status / owner
-- columns, your status values) instead.
--
--   mysql -h HOST -u USER -p DATABASE < orders.mysql.sql
--
-- One statement: it creates the table or fails (non-zero exit) and changes nothing.

CREATE TABLE orders (
  order_id      VARCHAR(256) NOT NULL PRIMARY KEY,
  -- The buyer: authorize_order compares it with the signed-in user.
  user_id       VARCHAR(256) NOT NULL,
  -- Set by your server when the order is created; the browser never sends a price.
  amount_minor  BIGINT NOT NULL,
  currency      CHAR(3) NOT NULL,
  -- pending -> paid (Standard), or pending -> fulfilled_unsettled (Micro / Nano, if enabled).
  status        VARCHAR(32) NOT NULL DEFAULT 'pending',
  paid_at       DATETIME(3) NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT orders_amount_chk CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  CONSTRAINT orders_currency_chk CHECK (currency IN ('JPY', 'USD'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
