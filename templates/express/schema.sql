-- Tables for siglume-order-store.postgres.ts (PostgreSQL 13+).
--
-- No "IF NOT EXISTS" on purpose: if your database already has an `orders`
-- table, this fails loudly instead of silently keeping a table without the
-- columns the store needs. In that case add the payment columns below to your
-- own orders table and adjust the store's queries (see README.md).
--
-- Money columns are bigint minor units (JPY yen, USD cents), never floats.

CREATE TABLE orders (
  order_id          text PRIMARY KEY,
  -- Owner: beginCheckoutAttempt only lets this user start a checkout.
  user_id           text NOT NULL,
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  currency          text NOT NULL CHECK (currency IN ('JPY', 'USD')),
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'paid', 'fulfilled_unsettled')),
  -- Written by the webhook: which Siglume payment paid the order.
  requirement_id    text,
  challenge_hash    text,
  chain_receipt_id  text,
  pricing_band      text,
  paid_event_id     text,
  paid_at           timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE siglume_checkout_attempts (
  attempt_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id             text NOT NULL REFERENCES orders (order_id),
  -- Stable: a retried start re-sends the same nonce, so Siglume signs the same challenge.
  nonce                text NOT NULL UNIQUE CHECK (nonce <> '' AND position(':' IN nonce) = 0),
  -- Snapshot of what this attempt charges; a changed order gets a new attempt.
  amount_minor         bigint NOT NULL CHECK (amount_minor > 0),
  currency             text NOT NULL CHECK (currency IN ('JPY', 'USD')),
  -- Only an 'active' attempt can pay its order; a payment on a superseded
  -- (re-priced) or expired one goes to review (its session may stay payable).
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'expired')),
  checkout_session_id  text UNIQUE,
  checkout_url         text,
  -- How a confirmation finds its order. Unique: one challenge, one attempt.
  challenge_hash       text UNIQUE,
  -- NULL when Siglume did not say; the store then assumes the session lives
  -- SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS (30 min) from updated_at.
  expires_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  -- Set on creation, when the session is stored, and when the attempt is retired.
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- At most one active attempt per order: two concurrent "Pay" clicks cannot
-- open two payable sessions.
CREATE UNIQUE INDEX siglume_checkout_attempts_one_active
  ON siglume_checkout_attempts (order_id) WHERE status = 'active';

CREATE TABLE siglume_webhook_events (
  -- The primary key is the exactly-once guard: a concurrent second insert of
  -- the same id waits for the first transaction, then conflicts.
  event_id      text PRIMARY KEY,
  outcome       text,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE siglume_payment_reviews (
  review_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id             text NOT NULL UNIQUE,
  event_type           text NOT NULL,
  kind                 text NOT NULL,
  code                 text NOT NULL,
  reason               text NOT NULL,
  order_id             text,
  requirement_id       text,
  challenge_hash       text,
  settlement_batch_id  text,
  resolved_at          timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX siglume_payment_reviews_open ON siglume_payment_reviews (created_at) WHERE resolved_at IS NULL;

-- Settled Micro / Nano batches, keyed by batch id (reconciled by batch, never by challenge hash).
CREATE TABLE siglume_settlement_batches (
  settlement_batch_id  text PRIMARY KEY,
  event_id             text NOT NULL,
  chain_receipt_id     text NOT NULL,
  usage_event_digest   text NOT NULL,
  pricing_band         text NOT NULL CHECK (pricing_band IN ('micro', 'nano')),
  -- As sent by Siglume (text: a malformed date must not make the insert, and so the webhook, fail forever).
  settled_at           text,
  recorded_at          timestamptz NOT NULL DEFAULT now()
);
