/**
 * The sandbox against a malicious page in the developer's browser: DNS
 * rebinding (a foreign `Host`), cross-site requests to the control routes and
 * the hosted page's forms, and bad input that must never become a 500.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

/** One request over a real socket with exactly the headers given (Host included). */
function raw(sb: SandboxHandle, method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: any; text: string }> {
  const { port } = new URL(sb.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, setHost: false, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          // an HTML page
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = () => ({ Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}` });
const hostOf = (sb: SandboxHandle) => new URL(sb.url).host;

describe('sandbox safety', () => {
  describe('when a request carries a foreign Host (DNS rebinding)', () => {
    it.each([
      ['the /v1 API with the default token', 'GET', '/v1/market/webhooks/subscriptions'],
      ['the control route /__sandbox/state', 'GET', '/__sandbox/state'],
      ['a control POST', 'POST', '/__sandbox/scenario'],
      ['the hosted page', 'GET', '/pay/cs_any'],
      ['the root', 'GET', '/'],
    ])('refuses %s with 421 HOST_NOT_ALLOWED', async (_name, method, path) => {
      const answer = await raw(sandbox, method, path, { Host: 'rebind.attacker.example', ...bearer() }, method === 'POST' ? '{"scenario":"no_merchant"}' : '');
      expect(answer.status).toBe(421);
      expect(answer.body.error.code).toBe('HOST_NOT_ALLOWED');
      expect(answer.text).not.toContain('whsec_sandbox_secret');
      expect(sandbox.scenario).toBe('ready');
    });

    it('refuses the rebinding name even with the sandbox port, and a loopback name on another port', async () => {
      const port = new URL(sandbox.url).port;
      expect((await raw(sandbox, 'GET', '/__sandbox/state', { Host: `rebind.attacker.example:${port}` })).status).toBe(421);
      expect((await raw(sandbox, 'GET', '/__sandbox/state', { Host: 'localhost:1' })).status).toBe(421);
    });

    it('answers its own address and localhost / 127.0.0.1 / [::1] at its port', async () => {
      const port = new URL(sandbox.url).port;
      for (const host of [hostOf(sandbox), `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        expect((await raw(sandbox, 'GET', '/v1/market/webhooks/subscriptions', { Host: host, ...bearer() })).status, host).toBe(200);
      }
    });

    it('answers a name given in allowed_hosts (any port, or only the port given)', async () => {
      const sb = await startSandbox({ port: 0, allowed_hosts: ['Sandbox.Test', 'pinned.test:1'], quiet: true });
      try {
        const port = new URL(sb.url).port;
        expect((await raw(sb, 'GET', '/__sandbox/faults', { Host: `sandbox.test:${port}` })).status).toBe(200);
        expect((await raw(sb, 'GET', '/__sandbox/faults', { Host: `pinned.test:${port}` })).status).toBe(421);
      } finally {
        await sb.close();
      }
    });

    it('refuses an allowed_hosts entry whose port is out of range (or 0) before listening, naming the entry', async () => {
      for (const [entry, index] of [['foo:99999', 0], ['foo:0', 1]] as const) {
        const hosts = index === 0 ? [entry] : ['ok.test', entry];
        const error = await startSandbox({ port: 0, allowed_hosts: hosts, quiet: true }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SiglumeValidationError);
        expect(error).toMatchObject({ field: `allowed_hosts[${index}]` });
        expect((error as Error).message).toContain('must have a port from 1 to 65535');
      }
    });

    it('refuses an in-process request whose URL is not addressed to the sandbox', async () => {
      const sb = await createSandbox({ quiet: true });
      try {
        const res = await sb.fetch(new Request('http://rebind.attacker.example/__sandbox/state'));
        expect(res.status).toBe(421);
        expect((await res.json()).error.code).toBe('HOST_NOT_ALLOWED');
        expect((await sb.fetch(new Request(`${sb.url}/__sandbox/state`))).status).toBe(200);
      } finally {
        await sb.close();
      }
    });
  });

  describe('when another site makes the browser post to the sandbox', () => {
    const host = () => ({ Host: hostOf(sandbox), 'Content-Type': 'text/plain' });

    it('refuses a cross-origin control POST with 403 CROSS_ORIGIN_FORBIDDEN and changes nothing', async () => {
      const answer = await raw(sandbox, 'POST', '/__sandbox/scenario', { ...host(), Origin: 'https://attacker.example' }, '{"scenario":"no_merchant"}');
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('CROSS_ORIGIN_FORBIDDEN');
      expect(sandbox.scenario).toBe('ready');
      const faults = await raw(sandbox, 'POST', '/__sandbox/faults', { ...host(), Origin: 'null' }, '{"drop_connections":5}');
      expect(faults.status).toBe(403);
      expect((await call(sandbox, 'GET', '/market/webhooks/subscriptions')).status).toBe(200);
    });

    it('refuses Sec-Fetch-Site: cross-site even without an Origin', async () => {
      const answer = await raw(sandbox, 'POST', '/__sandbox/scenario', { ...host(), 'Sec-Fetch-Site': 'cross-site' }, '{"scenario":"no_mandate"}');
      expect(answer.status).toBe(403);
      expect(sandbox.scenario).toBe('ready');
    });

    it('accepts the sandbox\'s own origin', async () => {
      const answer = await raw(sandbox, 'POST', '/__sandbox/scenario', { ...host(), Origin: sandbox.url }, '{"scenario":"ready"}');
      expect(answer.status).toBe(200);
    });

    it('refuses a cross-origin Pay or Cancel post to the hosted page, leaving the session open', async () => {
      const s = await createSession(sandbox);
      for (const action of ['confirm', 'cancel']) {
        const answer = await raw(sandbox, 'POST', `/pay/${s.session_id}/${action}`, { Host: hostOf(sandbox), Origin: 'https://attacker.example' });
        expect(answer.status).toBe(403);
      }
      expect(sandbox.getCheckoutSession(s.session_id)?.status).toBe('open');
      expect(receiver.received).toHaveLength(0);
    });
  });

  describe('when a return URL carries CR/LF or other control characters', () => {
    it.each([
      ['cancel_url', `/no\r\nSet-Cookie: x=1`],
      ['success_url', `/ok\nLocation: https://evil.example`],
      ['cancel_url', `/no\tx`],
      ['success_url', ` /ok`],
    ])('answers 422 naming %s, and nothing is stored', async (field, suffix) => {
      const before = sandbox.listCheckoutSessions().length;
      const answer = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', {
        body: { merchant: 'sandbox_shop', amount_minor: 900, currency: 'JPY', nonce: `ctl-${field}`, success_url: `${receiver.origin}/ok`, cancel_url: `${receiver.origin}/no`, [field]: `${receiver.origin}${suffix}` },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field });
      expect(answer.body.error.message).toContain('control characters');
      expect(sandbox.listCheckoutSessions()).toHaveLength(before);
    });

    it('refuses the same in webhook callback URLs and the merchant webhook URL', async () => {
      const sub = await call(sandbox, 'POST', '/market/webhooks/subscriptions', { body: { callback_url: 'https://shop.example/hook\r\n' } });
      expect([sub.status, sub.body.error.field]).toEqual([422, 'callback_url']);
      const m = await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body: { merchant: 'crlf_shop', webhook_callback_url: 'https://shop.example/\u0000' } });
      expect([m.status, m.body.error.field]).toEqual([422, 'webhook_callback_url']);
    });
  });
});
