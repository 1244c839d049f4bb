/**
 * The in-memory state and the one store every part reads and writes. The layout is what the state file
 * holds (version 1) and is private to the sandbox: the handle hands out copies. Every change ends with
 * `changed()`, which schedules the state-file write.
 */
import { SandboxHttpError } from './errors.js';
import type { SandboxSettlementBatch, SandboxUsageEvent } from './metered-records.js';
import { iso, isOpenSession } from './records.js';
import type * as R from './records.js';
import type { SandboxAutoPayAuthorization, SandboxRecurringSubscription } from './recurring.js';

/** Version of the state file layout. */
export const SANDBOX_STATE_VERSION = 1;

/** The keys of the seed, which the state file must hold. */
export const SEED_KEYS = [
  'merchant',
  'origin',
  'webhook_url',
  'webhook_secret',
  'subscription_id',
  'created_at',
] as const;
/** What the sandbox was seeded with; the env a merchant app needs is derived from it. */
export type SandboxSeed = Record<(typeof SEED_KEYS)[number], string>;

interface Records {
  merchants: R.SandboxMerchant;
  billing_mandates: R.SandboxBillingMandate;
  subscriptions: R.SandboxWebhookSubscription;
  checkout_sessions: R.SandboxCheckoutSession;
  requirements: R.SandboxRequirement;
  receipts: R.SandboxReceipt;
  events: R.SandboxEvent;
  deliveries: R.SandboxDelivery;
  usage_events: SandboxUsageEvent;
  settlement_batches: SandboxSettlementBatch;
  recurring_subscriptions: SandboxRecurringSubscription;
  autopay_authorizations: SandboxAutoPayAuthorization;
}

/** A kind of record, named by its map in the state. */
export type RecordKind = keyof Records;

/** Each kind's id field, then, for kinds the API looks up by id, the code and wording of its 404. */
const KINDS: { [K in RecordKind]: [id: keyof Records[K] & string, code?: string, what?: string] } = {
  merchants: ['merchant', 'MERCHANT_NOT_FOUND', 'Merchant'],
  billing_mandates: ['billing_mandate_id'],
  subscriptions: ['id'],
  checkout_sessions: ['session_id', 'CHECKOUT_SESSION_NOT_FOUND', 'Checkout session'],
  requirements: ['requirement_id', 'REQUIREMENT_NOT_FOUND', 'Requirement'],
  receipts: ['receipt_id'],
  events: ['id', 'EVENT_NOT_FOUND', 'Event'],
  deliveries: ['id'],
  usage_events: ['usage_event_id'],
  settlement_batches: ['settlement_batch_id', 'SETTLEMENT_BATCH_NOT_FOUND', 'Settlement batch'],
  recurring_subscriptions: ['subscription_id'],
  autopay_authorizations: ['authorization_id', 'SCHEDULED_AUTHORIZATION_NOT_FOUND', 'Scheduled authorization'],
};

/** Every record kind, in state-file order. */
export const RECORD_KINDS = Object.keys(KINDS) as RecordKind[];

/** The whole state. Records are keyed by id and kept in creation order. */
export type SandboxState = { [K in RecordKind]: Record<string, Records[K]> } & {
  version: typeof SANDBOX_STATE_VERSION;
  seed: SandboxSeed;
  scenario: string;
  /** False in the `hosted_checkout_disabled_404` scenario: the checkout routes answer 404. */
  hosted_checkout_routes: boolean;
  /** The seeded merchant while the `no_merchant` scenario hides it, so its secret survives. */
  hidden_merchant?: R.SandboxMerchant | null;
};

/** Holds the state: lookups, inserts, and the clock. */
export class SandboxStore {
  constructor(
    readonly data: SandboxState,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Current time in ms (one seam, so expiry is consistent). */
  nowMs(): number {
    return Date.now();
  }

  nowIso(): string {
    return iso(this.nowMs());
  }

  /** Records that the state changed (schedules the state-file write). */
  changed(): void {
    this.onChange();
  }

  /** A record by id (own keys only: an id such as `__proto__` finds nothing). */
  get<K extends RecordKind>(kind: K, id: string): Records[K] | undefined {
    const records = this.data[kind] as Record<string, Records[K]>;
    return Object.hasOwn(records, id) ? records[id] : undefined;
  }

  /** A record by id, or the kind's 404 (e.g. `MERCHANT_NOT_FOUND`), also when `visible` hides it from the caller. */
  require<K extends RecordKind>(kind: K, id: string, visible?: (record: Records[K]) => boolean): Records[K] {
    const found = this.get(kind, id);
    if (found && visible?.(found) !== false) return found;
    const [, code = 'NOT_FOUND', what = 'Record'] = KINDS[kind];
    const hint = kind === 'merchants' ? ' Create it with setupMerchant (POST /v1/sdrp/direct-payments/merchants).' : '';
    throw new SandboxHttpError(404, code, `${what} "${id}" does not exist in this sandbox.${hint}`);
  }

  /** Every record of a kind, oldest first. */
  list<K extends RecordKind>(kind: K): Records[K][] {
    return Object.values(this.data[kind]);
  }

  put<K extends RecordKind>(kind: K, record: Records[K]): Records[K] {
    (this.data[kind] as Record<string, Records[K]>)[record[KINDS[kind][0]] as string] = record;
    this.changed();
    return record;
  }

  /** A checkout session, or its 404; an open one whose time has passed turns `expired` here. */
  session(id: string): R.SandboxCheckoutSession {
    const s = this.require('checkout_sessions', id);
    if (isOpenSession(s) && Date.parse(s.expires_at) <= this.nowMs()) {
      Object.assign(s, { status: 'expired', updated_at: this.nowIso() });
      this.changed();
    }
    return s;
  }

  /** The requirement created for a challenge, if any (a challenge is single-use). */
  requirementForChallenge(challengeHash: string): R.SandboxRequirement | undefined {
    return this.list('requirements').find((r) => r.challenge_hash === challengeHash);
  }

  /** Active subscriptions that receive `eventType`. */
  subscriptionsFor(eventType: string): R.SandboxWebhookSubscription[] {
    return this.list('subscriptions').filter((s) => s.status === 'active' && s.event_types.includes(eventType));
  }
}
