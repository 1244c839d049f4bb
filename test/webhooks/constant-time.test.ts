/**
 * Signatures are compared in constant time, and only there. Review alone
 * used to protect this: replacing `timingSafeEqualString` with `===` in the
 * webhook verifier or the challenge verifier passed every other test,
 * because both give the same answers. These tests watch the comparison
 * itself, on both crypto backends: the verifiers must hand the expected and
 * the given signature to the backend's compare, and its answer alone must
 * decide.
 */
import * as nodeCrypto from 'node:crypto';
import * as nodeBuffer from 'node:buffer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadRuntimes } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const SECRET = 'whsec_constant_time_5e1d';
const CHALLENGE_SECRET = 'sdrp_chs_constant_time_9a0b';
const BODY = '{"id":"evt_ct","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-06-11T00:00:00Z","data":{"mode":"external_402"}}';
const NOW = 1_800_000_000;
const ONE_TIME = { secret: CHALLENGE_SECRET, merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY' };
const RECURRING = { ...ONE_TIME, cadence: 'monthly' as const };

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(runtimes)('signature comparison on the $name backend', (rt) => {
  const backend = rt.crypto.getCryptoBackend();

  it('is that backend', () => {
    expect(backend.name).toBe(rt.name);
  });

  describe('verifyWebhookSignature', () => {
    it('hands the expected and the given signature to the backend compare', async () => {
      const header = await rt.signature.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: NOW });
      const given = header.split('v1=')[1]!;
      const compare = vi.spyOn(backend, 'timingSafeEqualString');
      await expect(rt.signature.verifyWebhookSignature(SECRET, BODY, header, { now: NOW })).resolves.toMatchObject({ signature: given });
      expect(compare).toHaveBeenCalledWith(given, given);
    });

    it('rejects a correct signature when the compare says no', async () => {
      const header = await rt.signature.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: NOW });
      vi.spyOn(backend, 'timingSafeEqualString').mockReturnValue(false);
      await expect(rt.signature.verifyWebhookSignature(SECRET, BODY, header, { now: NOW })).rejects.toMatchObject({
        code: 'WEBHOOK_SIGNATURE_MISMATCH',
      });
    });

    it('accepts a forged signature of the right length when the compare says yes (nothing else decides)', async () => {
      const forged = `t=${NOW},v1=${'0'.repeat(64)}`;
      vi.spyOn(backend, 'timingSafeEqualString').mockReturnValue(true);
      await expect(rt.signature.verifyWebhookSignature(SECRET, BODY, forged, { now: NOW })).resolves.toMatchObject({ timestamp: NOW });
    });
  });

  describe.each([
    ['verifyDirectRequestPaymentChallenge', () => rt.challenge.createDirectRequestPaymentChallenge(ONE_TIME), (challenge: string) => rt.challenge.verifyDirectRequestPaymentChallenge({ ...ONE_TIME, challenge })],
    [
      'verifyDirectRequestPaymentRecurringChallenge',
      () => rt.recurring.createDirectRequestPaymentRecurringChallenge(RECURRING),
      (challenge: string) => rt.recurring.verifyDirectRequestPaymentRecurringChallenge({ ...RECURRING, challenge }),
    ],
  ])('%s', (_name, create, verify) => {
    it('hands the expected and the given signature to the backend compare', async () => {
      const issued = await create();
      const compare = vi.spyOn(backend, 'timingSafeEqualString');
      await expect(verify(issued.challenge)).resolves.toBe(true);
      expect(compare).toHaveBeenCalledWith(issued.signature, issued.signature);
    });

    it('rejects a correct challenge when the compare says no', async () => {
      const issued = await create();
      vi.spyOn(backend, 'timingSafeEqualString').mockReturnValue(false);
      await expect(verify(issued.challenge)).resolves.toBe(false);
    });
  });
});

describe('the node:crypto backend compare', () => {
  it('answers with node:crypto timingSafeEqual, short strings and long', () => {
    const timingSafeEqual = vi.fn(nodeCrypto.timingSafeEqual);
    const backend = rt0Backend({ ...nodeCrypto, timingSafeEqual });
    const hex = 'ab'.repeat(32);
    expect(backend.timingSafeEqualString(hex, hex)).toBe(true);
    expect(backend.timingSafeEqualString(hex, `${hex.slice(0, -1)}c`)).toBe(false);
    const long = 'x'.repeat(4000); // past the scratch buffer
    expect(backend.timingSafeEqualString(long, long)).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
    timingSafeEqual.mockReturnValue(false);
    expect(backend.timingSafeEqualString(hex, hex)).toBe(false);
  });
});

function rt0Backend(cryptoModule: typeof nodeCrypto) {
  return runtimes[0]!.crypto.createNodeCryptoBackend(cryptoModule, nodeBuffer);
}
