/**
 * Events derived from a real sandbox payment: the same body with some
 * fields changed (and a new id), signed with the shop's secret, as an
 * attacker holding the secret, or a buggy sender, would deliver it.
 */
import { buildWebhookSignatureHeader } from '../../../src/webhooks/signature.js';
import { SECRET } from './shop.js';

export interface SignedDelivery {
  rawBody: string;
  header: string;
  id: string;
}

let n = 0;

/** `event` with `data` changes applied (a key set to undefined is removed) and a fresh id. */
export async function mutatedEvent(event: { type: string; data: Record<string, unknown> } & Record<string, unknown>, data: Record<string, unknown>, over: Record<string, unknown> = {}): Promise<SignedDelivery> {
  const merged: Record<string, unknown> = { ...event.data, ...data };
  for (const [k, v] of Object.entries(data)) if (v === undefined) delete merged[k];
  const id = `evt_mut_${process.pid}_${++n}`;
  const body = { ...event, id, ...over, data: merged };
  const rawBody = JSON.stringify(body);
  return { rawBody, header: await buildWebhookSignatureHeader(SECRET, rawBody), id: String(body.id) };
}

/** Any JSON body signed with the shop's secret. */
export async function signed(body: unknown): Promise<{ rawBody: string; header: string }> {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  return { rawBody, header: await buildWebhookSignatureHeader(SECRET, rawBody) };
}
