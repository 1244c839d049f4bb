/**
 * The in-memory state and the lookups every part shares. The layout is what
 * the state file holds (version 1) and is private to the sandbox: the handle
 * exposes copies through typed accessors. Every mutation ends with
 * `changed()`, which schedules the state-file write.
 */
import { SandboxHttpError } from './errors.js';
import { iso } from './ids.js';
import type * as T from './types.js';

/** Version of the state file layout. */
export const SANDBOX_STATE_VERSION = 1;

/** What the sandbox was seeded with; the env a merchant app needs is derived from it. */
export interface SandboxSeed {
  merchant: string;
  origin: string;
  webhook_url: string;
  webhook_secret: string;
  subscription_id: string;
  created_at: string;
}

/** The record kinds, keyed by their map in {@link SandboxState} (in file order). */
interface Records {
  merchants: T.SandboxMerchant;
  billing_mandates: T.SandboxBillingMandate;
  subscriptions: T.SandboxWebhookSubscription;
  checkout_sessions: T.SandboxCheckoutSession;
  requirements: T.SandboxRequirement;
  receipts: T.SandboxReceipt;
  events: T.SandboxEvent;
  deliveries: T.SandboxDelivery;
  usage_events: T.SandboxUsageEvent;
  settlement_batches: T.SandboxSettlementBatch;
}
type RecordMap = keyof Records;

export const RECORD_MAPS: readonly RecordMap[] = [
  'merchants',
  'billing_mandates',
  'subscriptions',
  'checkout_sessions',
  'requirements',
  'receipts',
  'events',
  'deliveries',
  'usage_events',
  'settlement_batches',
];

/** The whole state. Records are keyed by id and kept in creation order. */
export type SandboxState = { [M in RecordMap]: Record<string, Records[M]> } & {
  version: typeof SANDBOX_STATE_VERSION;
  seed: SandboxSeed;
  scenario: string;
  /** False in the `hosted_checkout_disabled_404` scenario: the checkout routes answer 404. */
  hosted_checkout_routes: boolean;
  /** The seeded merchant while the `no_merchant` scenario hides it, so its secret survives. */
  hidden_merchant?: T.SandboxMerchant | null;
};

/** Holds the state; the one place that knows how records are indexed. */
export class SandboxStore {
  readonly #requirementByChallenge = new Map<string, string>();

  constructor(
    readonly data: SandboxState,
    private readonly onChange: () => void = () => undefined,
  ) {
    for (const r of Object.values(data.requirements))
      this.#requirementByChallenge.set(r.challenge_hash, r.requirement_id);
  }

  /** Current time in ms (one seam, so expiry is consistent). */
  nowMs(): number {
    return Date.now();
  }

  nowIso(): string {
    return iso(this.nowMs());
  }

  /** Records that the state changed (schedules persistence). */
  changed(): void {
    this.onChange();
  }

  /** A record by id (own keys only: an id such as `__proto__` finds nothing). */
  get<M extends RecordMap>(map: M, id: string): Records[M] | undefined {
    const records = this.data[map] as Record<string, Records[M]>;
    return Object.hasOwn(records, id) ? records[id] : undefined;
  }

  /** A merchant, or a 404 `MERCHANT_NOT_FOUND`. */
  requireMerchant(key: string): T.SandboxMerchant {
    const m = this.get('merchants', key);
    if (m) return m;
    throw new SandboxHttpError(
      404,
      'MERCHANT_NOT_FOUND',
      `Merchant "${key}" does not exist in this sandbox. Create it with setupMerchant (POST /v1/sdrp/direct-payments/merchants).`,
    );
  }

  /** A checkout session (expired lazily once its time has passed), or undefined. */
  session(id: string): T.SandboxCheckoutSession | undefined {
    const s = this.get('checkout_sessions', id);
    if (s && (s.status === 'open' || s.status === 'authenticated') && Date.parse(s.expires_at) <= this.nowMs()) {
      Object.assign(s, { status: 'expired', updated_at: this.nowIso() });
      this.changed();
    }
    return s;
  }

  /** A checkout session, or a 404 `CHECKOUT_SESSION_NOT_FOUND`. */
  requireSession(id: string): T.SandboxCheckoutSession {
    const s = this.session(id);
    if (s) return s;
    throw new SandboxHttpError(
      404,
      'CHECKOUT_SESSION_NOT_FOUND',
      `Checkout session "${id}" does not exist in this sandbox.`,
    );
  }

  /** The requirement created for a challenge, if any (a challenge is single-use). */
  requirementForChallenge(challengeHash: string): T.SandboxRequirement | undefined {
    const id = this.#requirementByChallenge.get(challengeHash);
    return id ? this.data.requirements[id] : undefined;
  }

  /** Stores a requirement; when one already exists for its challenge (a concurrent call), that one is kept and returned. */
  addRequirement(r: T.SandboxRequirement): T.SandboxRequirement {
    const existing = this.requirementForChallenge(r.challenge_hash);
    if (existing) return existing;
    this.data.requirements[r.requirement_id] = r;
    this.#requirementByChallenge.set(r.challenge_hash, r.requirement_id);
    this.changed();
    return r;
  }

  /** Active subscriptions that receive `eventType`. */
  subscriptionsFor(eventType: string): T.SandboxWebhookSubscription[] {
    return Object.values(this.data.subscriptions).filter(
      (s) => s.status === 'active' && s.event_types.includes(eventType),
    );
  }
}
