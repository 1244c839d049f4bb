-- Payment tables of @siglume/direct-request-payment/orders/postgres (PostgreSQL 13+).
--
--   psql "$DATABASE_URL" -f siglume-payments.postgres.sql
--
-- All or nothing: the first error stops psql with a non-zero exit code and
-- the transaction is rolled back, so a database never ends up with some of
-- these tables. No "IF NOT EXISTS": running it twice fails loudly instead of
-- keeping tables of an older layout.
--
-- Your orders table is yours: these tables refer to it by order id only (no
-- foreign key, so any id type works); map its name and columns with the
-- store's `orders` option. For a fresh shop, orders.postgres.sql has a sample.
-- Money columns are bigint minor units (JPY yen, USD cents), never floats.
\set ON_ERROR_STOP on
BEGIN;

CREATE TABLE siglume_checkout_attempts (
  attempt_id            text PRIMARY KEY,
  order_id              text NOT NULL,
  -- Stable for the attempt: a retried start re-sends it, so Siglume signs the same challenge.
  nonce                 text NOT NULL UNIQUE CHECK (nonce <> '' AND position(':' IN nonce) = 0),
  -- What this attempt charges: the order's price when it was made.
  amount_minor          bigint NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  currency              text NOT NULL CHECK (currency IN ('JPY', 'USD')),
  -- A re-priced order supersedes the attempt; a payment on it goes to review.
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'expired')),
  checkout_session_id   text UNIQUE,
  checkout_url          text,
  -- How a confirmation finds its order. One challenge, one attempt.
  challenge_hash        text UNIQUE,
  expires_at            timestamptz,
  session_stored_at     timestamptz,
  -- While set and in the future, one request is creating the session (others answer 202).
  creation_lease_until  timestamptz,
  last_error            text,
  -- The payment, written by the webhook in the same transaction as the order status.
  requirement_id        text,
  chain_receipt_id      text,
  pricing_band          text CHECK (pricing_band IN ('standard', 'micro', 'nano')),
  payment_status        text CHECK (payment_status IN ('paid', 'fulfilled_unsettled')),
  paid_event_id         text,
  paid_at               timestamptz,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);

-- At most one active attempt per order: two "Pay" clicks cannot open two payable sessions.
CREATE UNIQUE INDEX siglume_checkout_attempts_one_active ON siglume_checkout_attempts (order_id) WHERE status = 'active';
-- At most one payment per order, whatever happens in the application.
CREATE UNIQUE INDEX siglume_checkout_attempts_one_payment ON siglume_checkout_attempts (order_id) WHERE requirement_id IS NOT NULL;
CREATE INDEX siglume_checkout_attempts_order ON siglume_checkout_attempts (order_id);

CREATE TABLE siglume_webhook_events (
  -- The exactly-once guard: a concurrent second insert of the id waits for the first transaction, then conflicts.
  event_id      text PRIMARY KEY,
  event_type    text NOT NULL,
  -- What the core decided, e.g. marked_paid, review:PAYMENT_NOT_CONFIRMED, ignored:readiness_probe.
  outcome       text,
  received_at   timestamptz NOT NULL
);

CREATE TABLE siglume_payment_reviews (
  -- One review per event. A review never changes the order: a person resolves it.
  event_id             text PRIMARY KEY,
  event_type           text NOT NULL,
  kind                 text NOT NULL,
  code                 text NOT NULL,
  reason               text NOT NULL,
  order_id             text,
  requirement_id       text,
  challenge_hash       text,
  settlement_batch_id  text,
  created_at           timestamptz NOT NULL,
  resolved_at          timestamptz
);

CREATE INDEX siglume_payment_reviews_open ON siglume_payment_reviews (created_at) WHERE resolved_at IS NULL;

-- Settled Micro / Nano batches, reconciled by batch id (never by challenge hash).
CREATE TABLE siglume_settlement_batches (
  settlement_batch_id  text PRIMARY KEY,
  event_id             text NOT NULL,
  chain_receipt_id     text NOT NULL,
  usage_event_digest   text NOT NULL,
  pricing_band         text NOT NULL CHECK (pricing_band IN ('micro', 'nano')),
  -- As Siglume sent it (text: a malformed date must not make the webhook fail forever).
  settled_at           text,
  recorded_at          timestamptz NOT NULL
);

COMMIT;
