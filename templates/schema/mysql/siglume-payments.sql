-- Payment tables of @siglume/direct-request-payment/orders/mysql
-- (MySQL 8.0.16+ or MariaDB 10.5+, InnoDB).
--
--   mysql -h HOST -u USER -p DATABASE < siglume-payments.mysql.sql     (or: mariadb ...)
--
-- All or nothing. MySQL commits every CREATE TABLE at once (DDL cannot be
-- rolled back), so instead of one transaction this file
--   1. refuses to start when any of the four tables exists: the guard below
--      then fails ("Subquery returns more than 1 row") and the client stops
--      at that first error with a non-zero exit, before anything is created;
--   2. creates the tables under work names (*__sdrp_new), dropping leftovers
--      of an earlier run that failed half-way;
--   3. renames all four to their real names in ONE statement, which MySQL
--      and MariaDB apply atomically: either every table appears or none does.
-- So a database never ends up with some of the tables. No "IF NOT EXISTS":
-- running it twice fails loudly instead of keeping tables of an older layout.
--
-- Your orders table is yours: these tables refer to it by order id only (no
-- foreign key, so any id type works); map its name and columns with the
-- store's `orders` option. For a fresh shop, orders.mysql.sql has a sample.
-- Ids are compared by their bytes (utf8mb4_bin): an event id or challenge hash
-- differing only in letter case is a different one. Trailing spaces are the
-- exception (MariaDB's and MySQL 5.7's PAD SPACE): 'evt_1 ' is the key 'evt_1'
-- there. Siglume's ids have none, and a payment is still confirmed with Siglume
-- by its exact challenge hash. Money columns are BIGINT
-- minor units (JPY yen, USD cents), never floats. Times are DATETIME(3) in
-- the time zone of your mysql2 pool (its `timezone` option).

-- Step 1. ERROR 1242 "Subquery returns more than 1 row" here means: one of the
-- tables already exists, and nothing was created.
SELECT (SELECT 'absent' UNION ALL SELECT table_name FROM information_schema.tables
        WHERE table_schema = DATABASE()
          AND table_name IN ('siglume_checkout_attempts', 'siglume_webhook_events', 'siglume_payment_reviews', 'siglume_settlement_batches'))
  INTO @sdrp_schema_guard;

-- Step 2.
DROP TABLE IF EXISTS siglume_checkout_attempts__sdrp_new, siglume_webhook_events__sdrp_new,
  siglume_payment_reviews__sdrp_new, siglume_settlement_batches__sdrp_new;

CREATE TABLE siglume_checkout_attempts__sdrp_new (
  attempt_id            VARCHAR(64) NOT NULL PRIMARY KEY,
  order_id              VARCHAR(256) NOT NULL,
  -- Stable for the attempt: a retried start re-sends it, so Siglume signs the same challenge.
  nonce                 VARCHAR(256) NOT NULL,
  -- What this attempt charges: the order's price when it was made.
  amount_minor          BIGINT NOT NULL,
  currency              CHAR(3) NOT NULL,
  -- A re-priced order supersedes the attempt; a payment on it goes to review.
  status                VARCHAR(16) NOT NULL DEFAULT 'active',
  checkout_session_id   VARCHAR(256) NULL,
  checkout_url          TEXT NULL,
  -- How a confirmation finds its order. One challenge, one attempt.
  challenge_hash        VARCHAR(256) NULL,
  expires_at            DATETIME(3) NULL,
  session_stored_at     DATETIME(3) NULL,
  -- While set and in the future, one request is creating the session (others answer 202).
  creation_lease_until  DATETIME(3) NULL,
  last_error            TEXT NULL,
  -- The payment, written by the webhook in the same transaction as the order status.
  requirement_id        VARCHAR(256) NULL,
  chain_receipt_id      VARCHAR(256) NULL,
  pricing_band          VARCHAR(16) NULL,
  payment_status        VARCHAR(32) NULL,
  paid_event_id         VARCHAR(256) NULL,
  paid_at               DATETIME(3) NULL,
  created_at            DATETIME(3) NOT NULL,
  updated_at            DATETIME(3) NOT NULL,
  -- MySQL has no partial unique index: these columns are the order id only
  -- where the rule applies (NULL elsewhere, and NULLs never collide).
  active_order_id       VARCHAR(256) AS (CASE WHEN status = 'active' THEN order_id END) STORED,
  paid_order_id         VARCHAR(256) AS (CASE WHEN requirement_id IS NOT NULL THEN order_id END) STORED,
  UNIQUE KEY siglume_checkout_attempts_nonce (nonce),
  UNIQUE KEY siglume_checkout_attempts_session (checkout_session_id),
  UNIQUE KEY siglume_checkout_attempts_challenge (challenge_hash),
  -- At most one active attempt per order: two "Pay" clicks cannot open two payable sessions.
  UNIQUE KEY siglume_checkout_attempts_one_active (active_order_id),
  -- At most one payment per order, whatever happens in the application.
  UNIQUE KEY siglume_checkout_attempts_one_payment (paid_order_id),
  KEY siglume_checkout_attempts_order (order_id),
  CONSTRAINT siglume_checkout_attempts_nonce_chk CHECK (nonce <> '' AND LOCATE(':', nonce) = 0),
  CONSTRAINT siglume_checkout_attempts_amount_chk CHECK (amount_minor > 0 AND amount_minor <= 9007199254740991),
  CONSTRAINT siglume_checkout_attempts_currency_chk CHECK (currency IN ('JPY', 'USD')),
  CONSTRAINT siglume_checkout_attempts_status_chk CHECK (status IN ('active', 'superseded', 'expired')),
  CONSTRAINT siglume_checkout_attempts_band_chk CHECK (pricing_band IN ('standard', 'micro', 'nano')),
  CONSTRAINT siglume_checkout_attempts_payment_chk CHECK (payment_status IN ('paid', 'fulfilled_unsettled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE siglume_webhook_events__sdrp_new (
  -- The exactly-once guard: a concurrent second insert of the id waits for the first transaction, then is ignored.
  event_id      VARCHAR(256) NOT NULL PRIMARY KEY,
  event_type    VARCHAR(256) NOT NULL,
  -- What the core decided, e.g. marked_paid, review:PAYMENT_NOT_CONFIRMED, ignored:readiness_probe.
  outcome       VARCHAR(128) NULL,
  received_at   DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE siglume_payment_reviews__sdrp_new (
  -- One review per event. A review never changes the order: a person resolves it.
  event_id             VARCHAR(256) NOT NULL PRIMARY KEY,
  event_type           VARCHAR(256) NOT NULL,
  kind                 VARCHAR(64) NOT NULL,
  code                 VARCHAR(64) NOT NULL,
  reason               TEXT NOT NULL,
  order_id             VARCHAR(256) NULL,
  requirement_id       VARCHAR(256) NULL,
  challenge_hash       VARCHAR(256) NULL,
  settlement_batch_id  VARCHAR(256) NULL,
  created_at           DATETIME(3) NOT NULL,
  resolved_at          DATETIME(3) NULL,
  KEY siglume_payment_reviews_open (resolved_at, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Settled Micro / Nano batches, reconciled by batch id (never by challenge hash).
CREATE TABLE siglume_settlement_batches__sdrp_new (
  settlement_batch_id  VARCHAR(256) NOT NULL PRIMARY KEY,
  event_id             VARCHAR(256) NOT NULL,
  chain_receipt_id     VARCHAR(256) NOT NULL,
  usage_event_digest   VARCHAR(256) NOT NULL,
  pricing_band         VARCHAR(16) NOT NULL,
  -- As Siglume sent it (text: a malformed date must not make the webhook fail forever).
  settled_at           VARCHAR(256) NULL,
  recorded_at          DATETIME(3) NOT NULL,
  CONSTRAINT siglume_settlement_batches_band_chk CHECK (pricing_band IN ('micro', 'nano'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Step 3: all four names at once, or none.
RENAME TABLE
  siglume_checkout_attempts__sdrp_new TO siglume_checkout_attempts,
  siglume_webhook_events__sdrp_new TO siglume_webhook_events,
  siglume_payment_reviews__sdrp_new TO siglume_payment_reviews,
  siglume_settlement_batches__sdrp_new TO siglume_settlement_batches;
