-- Payment tables of @siglume/direct-request-payment/orders/sqlite (SQLite 3.35+).
--
--   sqlite3 shop.db < siglume-payments.sqlite.sql
--
-- All or nothing: `.bail on` stops the sqlite3 shell at the first error with
-- a non-zero exit code, and the open transaction is rolled back, so a
-- database never ends up with some of these tables. (SQLite's DDL is
-- transactional.) No "IF NOT EXISTS": running it twice fails loudly instead
-- of keeping tables of an older layout. Without the sqlite3 shell, see
-- "The payment tables" in the package's docs/orders.md for running it from Node.
--
-- Your orders table is yours: these tables refer to it by order id only (no
-- foreign key, so any id type works); map its name and columns with the
-- store's `orders` option. For a fresh shop, orders.sqlite.sql has a sample.
-- Money columns are INTEGER minor units (JPY yen, USD cents), never floats;
-- times are ISO-8601 text (UTC), which sorts in time order.
.bail on
BEGIN;

CREATE TABLE siglume_checkout_attempts (
  attempt_id            TEXT PRIMARY KEY NOT NULL,
  order_id              TEXT NOT NULL,
  -- Stable for the attempt: a retried start re-sends it, so Siglume signs the same challenge.
  nonce                 TEXT NOT NULL UNIQUE CHECK (nonce <> '' AND instr(nonce, ':') = 0),
  -- What this attempt charges: the order's price when it was made.
  amount_minor          INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  currency              TEXT NOT NULL CHECK (currency IN ('JPY', 'USD')),
  -- A re-priced order supersedes the attempt; a payment on it goes to review.
  status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'expired')),
  checkout_session_id   TEXT UNIQUE,
  checkout_url          TEXT,
  -- How a confirmation finds its order. One challenge, one attempt.
  challenge_hash        TEXT UNIQUE,
  expires_at            TEXT,
  session_stored_at     TEXT,
  -- While set and in the future, one request is creating the session (others answer 202).
  creation_lease_until  TEXT,
  last_error            TEXT,
  -- The payment, written by the webhook in the same transaction as the order status.
  requirement_id        TEXT,
  chain_receipt_id      TEXT,
  pricing_band          TEXT CHECK (pricing_band IN ('standard', 'micro', 'nano')),
  payment_status        TEXT CHECK (payment_status IN ('paid', 'fulfilled_unsettled')),
  paid_event_id         TEXT,
  paid_at               TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);

-- At most one active attempt per order: two "Pay" clicks cannot open two payable sessions.
CREATE UNIQUE INDEX siglume_checkout_attempts_one_active ON siglume_checkout_attempts (order_id) WHERE status = 'active';
-- At most one payment per order, whatever happens in the application.
CREATE UNIQUE INDEX siglume_checkout_attempts_one_payment ON siglume_checkout_attempts (order_id) WHERE requirement_id IS NOT NULL;
CREATE INDEX siglume_checkout_attempts_order ON siglume_checkout_attempts (order_id);

CREATE TABLE siglume_webhook_events (
  -- The exactly-once guard: the first insert of an id wins; a redelivery inserts nothing.
  event_id      TEXT PRIMARY KEY NOT NULL,
  event_type    TEXT NOT NULL,
  -- What the core decided, e.g. marked_paid, review:PAYMENT_NOT_CONFIRMED, ignored:readiness_probe.
  outcome       TEXT,
  received_at   TEXT NOT NULL
);

CREATE TABLE siglume_payment_reviews (
  -- One review per event. A review never changes the order: a person resolves it.
  event_id             TEXT PRIMARY KEY NOT NULL,
  event_type           TEXT NOT NULL,
  kind                 TEXT NOT NULL,
  code                 TEXT NOT NULL,
  reason               TEXT NOT NULL,
  order_id             TEXT,
  requirement_id       TEXT,
  challenge_hash       TEXT,
  settlement_batch_id  TEXT,
  created_at           TEXT NOT NULL,
  resolved_at          TEXT
);

CREATE INDEX siglume_payment_reviews_open ON siglume_payment_reviews (created_at) WHERE resolved_at IS NULL;

-- Settled Micro / Nano batches, reconciled by batch id (never by challenge hash).
CREATE TABLE siglume_settlement_batches (
  settlement_batch_id  TEXT PRIMARY KEY NOT NULL,
  event_id             TEXT NOT NULL,
  chain_receipt_id     TEXT NOT NULL,
  usage_event_digest   TEXT NOT NULL,
  pricing_band         TEXT NOT NULL CHECK (pricing_band IN ('micro', 'nano')),
  -- As Siglume sent it (a malformed date must not make the webhook fail forever).
  settled_at           TEXT,
  recorded_at          TEXT NOT NULL
);

COMMIT;
