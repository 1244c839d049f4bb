-- A sample orders table for a shop that has none yet (SQLite 3.35+).
-- If you already have an orders table, do not run this: map yours with the
-- store's `orders` option (table, id / amount / currency / status / owner
-- columns, your status values) instead.
--
--   sqlite3 shop.db < orders.sqlite.sql
.bail on
BEGIN;

CREATE TABLE orders (
  order_id      TEXT PRIMARY KEY NOT NULL,
  -- The buyer: authorize_order compares it with the signed-in user.
  user_id       TEXT NOT NULL,
  -- Set by your server when the order is created; the browser never sends a price.
  amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  currency      TEXT NOT NULL CHECK (currency IN ('JPY', 'USD')),
  -- pending -> paid (Standard), or pending -> fulfilled_unsettled (Micro / Nano, if enabled).
  status        TEXT NOT NULL DEFAULT 'pending',
  paid_at       TEXT,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

COMMIT;
