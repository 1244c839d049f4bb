/**
 * The in-memory state and the lookups every route shares. Every mutation
 * ends with `changed()`, which schedules the state-file write.
 */
import { notFound } from './errors.js';
import { iso } from './ids.js';
import type {
  SandboxCheckoutSession,
  SandboxMerchant,
  SandboxRequirement,
  SandboxStateData,
  SandboxWebhookSubscription,
} from './types.js';

/** Holds the state; the one place that knows how records are indexed. */
export class SandboxStore {
  /** The live state. Routes mutate it and then call {@link changed}. */
  data: SandboxStateData;
  readonly #onChange: () => void;
  readonly #requirementByChallenge = new Map<string, string>();

  constructor(data: SandboxStateData, onChange: () => void) {
    this.data = data;
    this.#onChange = onChange;
    for (const r of Object.values(data.requirements)) this.#requirementByChallenge.set(r.challenge_hash, r.requirement_id);
  }

  /** Current time in ms (one seam, so expiry is consistent). */
  nowMs(): number {
    return Date.now();
  }

  /** Current time as ISO-8601. */
  nowIso(): string {
    return iso(this.nowMs());
  }

  /** Records that the state changed (schedules persistence). */
  changed(): void {
    this.#onChange();
  }

  /** A merchant, or undefined. */
  merchant(key: string): SandboxMerchant | undefined {
    return Object.hasOwn(this.data.merchants, key) ? this.data.merchants[key] : undefined;
  }

  /** A merchant, or a 404 `MERCHANT_NOT_FOUND`. */
  requireMerchant(key: string): SandboxMerchant {
    const m = this.merchant(key);
    if (!m) {
      throw notFound(
        'MERCHANT_NOT_FOUND',
        `Merchant "${key}" does not exist in this sandbox. Create it with setupMerchant (POST /v1/sdrp/direct-payments/merchants).`,
      );
    }
    return m;
  }

  /** A checkout session (expired lazily when its time has passed), or undefined. */
  session(id: string): SandboxCheckoutSession | undefined {
    const s = Object.hasOwn(this.data.checkout_sessions, id) ? this.data.checkout_sessions[id] : undefined;
    if (s) this.expireIfDue(s);
    return s;
  }

  /** Marks an open session expired once `expires_at` has passed. */
  expireIfDue(s: SandboxCheckoutSession): void {
    if ((s.status === 'open' || s.status === 'authenticated') && Date.parse(s.expires_at) <= this.nowMs()) {
      s.status = 'expired';
      s.updated_at = this.nowIso();
      this.changed();
    }
  }

  /** A requirement, or undefined. */
  requirement(id: string): SandboxRequirement | undefined {
    return Object.hasOwn(this.data.requirements, id) ? this.data.requirements[id] : undefined;
  }

  /** The requirement created for a challenge, if any (a challenge is single-use). */
  requirementForChallenge(challengeHash: string): SandboxRequirement | undefined {
    const id = this.#requirementByChallenge.get(challengeHash);
    return id ? this.data.requirements[id] : undefined;
  }

  /**
   * Stores a requirement and indexes its challenge. A challenge is
   * single-use: when a concurrent call already stored one for the same
   * challenge, that one is kept and returned.
   */
  addRequirement(r: SandboxRequirement): SandboxRequirement {
    const existing = this.requirementForChallenge(r.challenge_hash);
    if (existing) return existing;
    this.data.requirements[r.requirement_id] = r;
    this.#requirementByChallenge.set(r.challenge_hash, r.requirement_id);
    this.changed();
    return r;
  }

  /** A subscription, or undefined. */
  subscription(id: string): SandboxWebhookSubscription | undefined {
    return Object.hasOwn(this.data.subscriptions, id) ? this.data.subscriptions[id] : undefined;
  }

  /** Active subscriptions that receive `eventType`. */
  subscriptionsFor(eventType: string): SandboxWebhookSubscription[] {
    return Object.values(this.data.subscriptions).filter(
      (s) => s.status === 'active' && s.event_types.includes(eventType),
    );
  }
}
