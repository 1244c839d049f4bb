/**
 * redactSecretValues: the one place that decides which values count as
 * secrets, so callers hand over their settings as they are (an unset token is
 * undefined, an empty variable '').
 */
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { REDACTED, TOO_DEEP, redactErrorSecrets, redactSecretKeys, redactSecretValues } from '../../src/core/redact.js';

describe('redactSecretValues', () => {
  it('replaces every secret in strings at any depth', () => {
    const value = { message: 'token sdrp_tok_1 refused', data: { echo: ['Bearer sdrp_tok_1', 'whsec_abc'] } };
    expect(redactSecretValues(value, ['sdrp_tok_1', 'whsec_abc'])).toEqual({
      message: `token ${REDACTED} refused`,
      data: { echo: [`Bearer ${REDACTED}`, REDACTED] },
    });
  });

  it('skips unset secrets instead of matching between every character', () => {
    expect(redactSecretValues('token sdrp_tok_1 refused', ['', undefined, null, 'sdrp_tok_1'])).toBe(`token ${REDACTED} refused`);
    expect(redactSecretValues({ message: 'nothing secret' }, ['', undefined])).toEqual({ message: 'nothing secret' });
  });
});

describe('when a value nests deeper than the walk goes', () => {
  // An error body a hostile server could send: well under the response cap, deep enough to overflow a recursive walk.
  const deep = JSON.parse(`${'['.repeat(100_000)}"sdrp_tok_1"${']'.repeat(100_000)}`) as unknown;

  it('cuts the value off instead of overflowing the stack', () => {
    expect(() => redactSecretValues(deep, ['sdrp_tok_1'])).not.toThrow();
    expect(() => redactSecretKeys(deep)).not.toThrow();
    expect(JSON.stringify(redactSecretValues(deep, ['sdrp_tok_1']))).not.toContain('sdrp_tok_1');
  });

  it('never hands back a secret key below the limit in the clear', () => {
    let value: Record<string, unknown> = { signing_secret: 'whsec_deep' };
    for (let i = 0; i < 25; i++) value = { level: value };
    const out = JSON.stringify(redactSecretKeys(value));
    expect(out).not.toContain('whsec_deep');
    expect(out).toContain(TOO_DEEP);
  });

  it('keeps everything above the limit', () => {
    expect(redactSecretKeys({ a: { b: [{ token: 'x', n: 1 }] } })).toEqual({ a: { b: [{ token: REDACTED, n: 1 }] } });
  });
});

describe('redactErrorSecrets', () => {
  it('hands back an error that holds no secret as it is', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(redactErrorSecrets(error, ['sdrp_tok_1', undefined])).toBe(error);
  });

  it('hands back an error with plain details that hold no secret as it is (undici keeps its socket details)', () => {
    const socket = { localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: 9, bytesWritten: 168 };
    const error = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', socket });
    expect(redactErrorSecrets(new TypeError('fetch failed', { cause: error }), ['sdrp_tok_1'])).toMatchObject({ cause: error });
  });

  it('leaves out an object that carries a secret, and one it cannot see into, and keeps the rest', () => {
    const headers = { Authorization: 'Bearer sdrp_tok_1' };
    const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', errno: -104, config: { headers }, request: new Headers(headers), meta: { attempt: 1 } });
    const out = redactErrorSecrets(error, ['sdrp_tok_1']) as Record<string, unknown>;
    expect(inspect(out, { depth: Infinity, showHidden: true })).not.toContain('sdrp_tok_1');
    expect(out).toMatchObject({ code: 'ECONNRESET', errno: -104, meta: { attempt: 1 }, message: 'socket hang up' });
    expect(out).not.toHaveProperty('config');
    expect(out).not.toHaveProperty('request');
  });

  it('scrubs each error of an AggregateError (what a fetch trying two addresses throws)', () => {
    const inner = () => Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED', config: { headers: { Authorization: 'Bearer sdrp_tok_1' } } });
    const out = redactErrorSecrets(new TypeError('fetch failed', { cause: new AggregateError([inner(), inner()], 'two') }), ['sdrp_tok_1']) as Error;
    expect(inspect(out, { depth: Infinity, showHidden: true })).not.toContain('sdrp_tok_1');
    expect(out.cause).toBeInstanceOf(AggregateError);
    expect((out.cause as AggregateError).errors).toHaveLength(2);
    expect((out.cause as AggregateError).errors[0]).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('scrubs a cause that is not an Error: text scrubbed, clean data kept, anything else reduced to its code', () => {
    const headers = { Authorization: 'Bearer sdrp_tok_1' };
    expect(redactErrorSecrets('sent Bearer sdrp_tok_1', ['sdrp_tok_1'])).toBe(`sent Bearer ${REDACTED}`);
    const clean = { attempt: 2 };
    expect(redactErrorSecrets(new Error('x', { cause: clean }), ['sdrp_tok_1'])).toMatchObject({ cause: clean });
    const dirty = redactErrorSecrets(new Error('x', { cause: { headers, code: 'ECONNRESET' } }), ['sdrp_tok_1']) as Error;
    expect(dirty.cause).toEqual({ code: 'ECONNRESET' });
    expect(redactErrorSecrets({ headers }, ['sdrp_tok_1'])).toBe(REDACTED);
  });

  it('cuts a cause chain deeper than errorCode looks, keeping the last message and code scrubbed', () => {
    let error: Error = Object.assign(new Error('deep: Bearer sdrp_tok_1'), { code: 'EDEEP', config: { headers: { Authorization: 'Bearer sdrp_tok_1' } } });
    for (let i = 0; i < 12; i++) error = new Error(`wrapper ${i}`, { cause: error });
    expect(inspect(redactErrorSecrets(error, ['sdrp_tok_1']), { depth: Infinity, showHidden: true })).not.toContain('sdrp_tok_1');
  });

  it('copies an error whose cause quotes a secret, keeping name and code, so a logger prints no secret', () => {
    const inner = Object.assign(new Error('invalid header "Bearer sdrp_tok_1"'), { code: 'UND_ERR_INVALID_ARG', headers: 'Bearer sdrp_tok_1' });
    const outer = new TypeError('fetch failed', { cause: inner });
    const out = redactErrorSecrets(outer, ['sdrp_tok_1']) as Error & { cause: Error & { code: string } };
    expect(inspect(out, { depth: 5 })).not.toContain('sdrp_tok_1');
    expect(out).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(out.cause).toMatchObject({ code: 'UND_ERR_INVALID_ARG', message: `invalid header "Bearer ${REDACTED}"` });
  });
});
