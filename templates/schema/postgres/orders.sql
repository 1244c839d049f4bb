-- A sample orders table for a shop that has none yet (PostgreSQL 13+).
-- If you already have an orders table, do not run this: map yours with the
-- store's `orders` option (table, id / amount / currency / status / owner
-- columns, your status values) instead.
--
--   psql "$DATABASE_URL" -f orders.postgres.sql
\set ON_ERROR_STOP on
BEGIN;

CREATE TABLE orders (
  order_id      text PRIMARY KEY,
  -- The buyer: authorize_order compares it with the signed-in user.
  user_id       text NOT NULL,
  -- Set by your server when the order is created; the browser never sends a price.
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  currency      text NOT NULL CHECK (currency IN ('JPY', 'USD')),
  -- pending -> paid (Standard), or pending -> fulfilled_unsettled (Micro / Nano, if enabled).
  status        text NOT NULL DEFAULT 'pending',
  paid_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

COMMIT;
