import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { SiglumeValidationError } from '../../src/core/errors.js';
import {
  absoluteUrlSchema,
  challengeMerchantKeySchema,
  checkoutOriginsSchema,
  currencySchema,
  httpsUrlSchema,
  jsonObjectSchema,
  merchantKeySchema,
  nonceSchema,
  parseInput,
  positiveSafeIntegerSchema,
  sameUrl,
  tokenSymbolSchema,
  urlProblem,
} from '../../src/core/validation.js';
import { path } from '../../src/core/path.js';

function rejection(schema: z.core.$ZodType, value: unknown, root = 'field'): SiglumeValidationError {
  try {
    parseInput(schema, value, root);
  } catch (error) {
    expect(error).toBeInstanceOf(SiglumeValidationError);
    return error as SiglumeValidationError;
  }
  throw new Error('expected a rejection');
}

describe('parseInput', () => {
  describe('when a nested field is wrong', () => {
    it('names the full path of the field', () => {
      const schema = z.object({ items: z.array(z.object({ amount_minor: positiveSafeIntegerSchema })) });
      const err = rejection(schema, { items: [{ amount_minor: 1 }, { amount_minor: 1.5 }] }, '');
      expect(err.field).toBe('items[1].amount_minor');
      expect(err.message).toBe('Invalid items[1].amount_minor: must be a positive safe integer');
    });

    it('says "is required" for a missing key', () => {
      const err = rejection(z.object({ nonce: nonceSchema }), {}, '');
      expect(err.message).toBe('Invalid nonce: is required');
    });
  });
});

describe('positiveSafeIntegerSchema', () => {
  it.each([0, -1, 1.5, '12', true, Number.MAX_SAFE_INTEGER + 1, Number.NaN, null])('rejects %p', (v) => {
    expect(rejection(positiveSafeIntegerSchema, v, 'amount_minor').message).toContain('positive safe integer');
  });
  it('accepts 1 and MAX_SAFE_INTEGER', () => {
    expect(parseInput(positiveSafeIntegerSchema, 1)).toBe(1);
    expect(parseInput(positiveSafeIntegerSchema, Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('merchant keys', () => {
  it('lower-cases and accepts the self-service pattern', () => {
    expect(parseInput(merchantKeySchema, 'Shop_Alpha')).toBe('shop_alpha');
  });
  it.each(['ab', '-shop', 'shop.alpha', 'a'.repeat(65), 'shop alpha'])('rejects self-service key %p', (v) => {
    expect(rejection(merchantKeySchema, v, 'merchant').field).toBe('merchant');
  });
  it('says when a refused key starts or ends with a space or line break', () => {
    expect(rejection(merchantKeySchema, 'shop_alpha \n', 'merchant').message).toContain('(this one starts or ends with a space or line break)');
    expect(rejection(merchantKeySchema, 'shop alpha', 'merchant').message).not.toContain('starts or ends');
  });
  it('accepts dots and short keys for challenges only', () => {
    expect(parseInput(challengeMerchantKeySchema, 'A.b')).toBe('a.b');
    expect(rejection(challengeMerchantKeySchema, 'a'.repeat(97)).message).toContain('1-96');
  });
});

describe('currency and token', () => {
  it('normalizes case', () => {
    expect(parseInput(currencySchema, 'jpy')).toBe('JPY');
    expect(parseInput(tokenSymbolSchema, 'usdc')).toBe('USDC');
  });
  it.each(['EUR', '', 5])('rejects currency %p', (v) => {
    expect(rejection(currencySchema, v, 'currency').message).toBe('Invalid currency: must be "JPY" or "USD"');
  });
});

describe('nonceSchema', () => {
  it('rejects empty and colon-carrying nonces', () => {
    expect(rejection(nonceSchema, '').message).toContain('must not be empty');
    expect(rejection(nonceSchema, 'a:b').message).toContain('must not contain ":"');
  });
});

describe('URL schemas', () => {
  it.each(['http://shop.example/h', 'https://user:pw@shop.example/h', '/relative', 'ftp://x'])('rejects callback %p', (v) => {
    expect(() => parseInput(httpsUrlSchema, v, 'callback_url')).toThrow(/Invalid callback_url/);
  });
  it('accepts http on loopback only when allowed', () => {
    expect(parseInput(absoluteUrlSchema(true), 'http://127.0.0.1:3000/x')).toBe('http://127.0.0.1:3000/x');
    expect(() => parseInput(absoluteUrlSchema(false), 'http://127.0.0.1:3000/x')).toThrow(SiglumeValidationError);
    expect(() => parseInput(absoluteUrlSchema(true), 'http://10.0.0.1/x')).toThrow(SiglumeValidationError);
  });
});

describe('urlProblem', () => {
  describe('when the URL carries whitespace or a control character', () => {
    // new URL() would strip tabs and line breaks and trim the ends, so these must be refused on the raw text.
    it.each([
      ['CR/LF', 'https://shop.example/cancel\r\nSet-Cookie: a=1'],
      ['a lone LF', 'https://shop.example/ok\nx'],
      ['a tab', 'https://shop.\texample/ok'],
      ['a leading space', ' https://shop.example/ok'],
      ['a trailing newline', 'https://shop.example/ok\n'],
      ['an inner space', 'https://shop.example/a b'],
      ['NUL', 'https://shop.example/\u0000'],
      ['DEL', 'https://shop.example/\u007f'],
    ])('refuses %s', (_name, url) => {
      expect(urlProblem(url, true)).toBe('must not contain spaces, tabs, line breaks or other control characters');
    });

    it('names the field in every URL schema', () => {
      const crlf = 'http://127.0.0.1:3000/cancel\r\n';
      expect(rejection(absoluteUrlSchema(true), crlf, 'cancel_url')).toMatchObject({ field: 'cancel_url', message: expect.stringContaining('Invalid cancel_url: must not contain') });
      expect(rejection(httpsUrlSchema, 'https://shop.example/hook\r\n', 'callback_url').field).toBe('callback_url');
      expect(rejection(checkoutOriginsSchema, ['https://ok.example', 'https://shop.example\n'], 'checkout_allowed_origins').field).toBe('checkout_allowed_origins[1]');
    });
  });

  it('still accepts clean URLs, given as text or parsed', () => {
    expect(urlProblem('https://shop.example/ok?session_id=1', false)).toBeNull();
    expect(urlProblem(new URL('http://localhost:3000/ok'), true)).toBeNull();
    expect(urlProblem('/relative/path', true)).toBe('must be an absolute URL');
  });

  it('says a port past 65535 is what is wrong, reading it after any user:password@', () => {
    expect(urlProblem('https://shop.example:70000/return', false)).toBe('port 70000 is out of range (1-65535)');
    expect(urlProblem('https://u:99999@shop.example/return', false)).toBe('must not contain a username or password');
    expect(urlProblem('https://u:pw@shop.example:99999/return', false)).toBe('port 99999 is out of range (1-65535)');
    expect(urlProblem('http://[::1]:70000/return', true)).toBe('port 70000 is out of range (1-65535)');
    // An unclosed IPv6 bracket is what is wrong there, not the digits after its last colon.
    expect(urlProblem('http://[1::70000/return', true)).toBe('must be an absolute URL');
  });
});

describe('checkoutOriginsSchema', () => {
  it('normalizes to lower-case origins and de-duplicates in order', () => {
    expect(
      parseInput(checkoutOriginsSchema, ['https://Shop.Example', 'http://localhost:3000', 'https://shop.example/', 'https://b.example']),
    ).toEqual(['https://shop.example', 'http://localhost:3000', 'https://b.example']);
  });
  it.each([
    ['http://shop.example', 'https'],
    ['https://u:p@shop.example', 'username'],
    ['https://shop.example/path', 'origin only'],
    ['not a url', 'absolute origin'],
  ])('rejects %p naming the index', (origin, text) => {
    const err = rejection(checkoutOriginsSchema, ['https://ok.example', origin], 'checkout_allowed_origins');
    expect(err.field).toBe('checkout_allowed_origins[1]');
    expect(err.message).toContain(text);
  });
});

describe('jsonObjectSchema', () => {
  it('deep-copies what it accepts', () => {
    const input = { a: { b: [1, 'x', null, true] } };
    const out = parseInput(jsonObjectSchema, input);
    expect(out).toEqual(input);
    input.a.b.push(2);
    expect(out).toEqual({ a: { b: [1, 'x', null, true] } });
  });
  it.each([
    [{ f: () => 1 }, 'f'],
    [{ n: Number.POSITIVE_INFINITY }, 'n'],
    [{ deep: { list: [1, Number.NaN] } }, 'deep.list[1]'],
    [{ big: 1n }, 'big'],
    [{ s: Symbol('x') }, 's'],
    [{ m: new Map([['a', 1]]) }, 'm'],
    [{ bad: { toJSON: () => { throw new Error('no'); } } }, 'bad'],
  ])('rejects %p pointing at the bad value', (value, where) => {
    expect(rejection(jsonObjectSchema, value, 'metadata').message).toContain(`"${where}"`);
  });
  describe('when a value is one the JSON round trip changes on purpose (CONTRACT-2 jsonObj, as 0.4.20)', () => {
    it('equals JSON.parse(JSON.stringify(value)) for undefined members, Dates and toJSON', () => {
      const value = {
        coupon: undefined,
        placed_at: new Date(0),
        never: new Date(Number.NaN),
        list: [1, undefined, new Date(1000)],
        nested: { gone: undefined, kept: 'x', custom: { toJSON: (key: string) => ({ key }) } },
      };
      const out = parseInput(jsonObjectSchema, value, 'metadata');
      expect(out).toEqual(JSON.parse(JSON.stringify(value)));
      expect(out).toEqual({
        placed_at: '1970-01-01T00:00:00.000Z',
        never: null,
        list: [1, null, '1970-01-01T00:00:01.000Z'],
        nested: { kept: 'x', custom: { key: 'custom' } },
      });
      expect(Object.keys(out)).not.toContain('coupon');
    });
    it('still refuses a root that the round trip does not bring back as an object', () => {
      expect(() => parseInput(jsonObjectSchema, new Date(0), 'metadata')).toThrow(/Invalid metadata: must be a plain JSON object/);
    });
  });
  it('rejects arrays, class instances and cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const v of [[1], new Map(), cyclic]) expect(() => parseInput(jsonObjectSchema, v, 'metadata')).toThrow(/Invalid metadata/);
  });
  it('names the cycle, and accepts the same object twice side by side', () => {
    const loop: Record<string, unknown> = { name: 'x' };
    loop.items = [{ back: loop }];
    expect(rejection(jsonObjectSchema, { order: loop }, 'metadata').message).toContain('"order.items[0].back"');
    const shared = { sku: 'a' };
    expect(parseInput(jsonObjectSchema, { first: shared, second: shared })).toEqual({ first: { sku: 'a' }, second: { sku: 'a' } });
  });
  it('accepts 64 levels of nesting and refuses a 65th, naming where, instead of overflowing the stack further down', () => {
    const nest = (levels: number) => {
      let value: Record<string, unknown> = { leaf: 1 };
      for (let i = 1; i < levels; i++) value = { a: value };
      return value;
    };
    expect(() => parseInput(jsonObjectSchema, nest(64), 'metadata')).not.toThrow();
    expect(rejection(jsonObjectSchema, nest(65), 'metadata').message).toMatch(/more than 64 levels deep \(the value at "a(\.a){63}" is deeper\)$/);
    // 100,000 levels: a RangeError from the copy before this limit.
    expect(rejection(jsonObjectSchema, JSON.parse(`{"x":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`), 'metadata').message).toContain('64 levels deep');
  });
  it('copies exactly what a JSON round trip would send', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"z":-0,"2":"two","a":[{"b":null}],"1":1}') as Record<string, unknown>;
    input.late = 'last';
    const out = parseInput(jsonObjectSchema, input);
    expect(JSON.stringify(out)).toBe(JSON.stringify(JSON.parse(JSON.stringify(input))));
    expect(Object.keys(out)).toEqual(['1', '2', '__proto__', 'z', 'a', 'late']);
    expect(Object.is(out.z, 0)).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('path', () => {
  it('encodes every interpolated value as one segment', () => {
    expect(path`/merchants/${'a/b?c#d'}/x`).toBe('/merchants/a%2Fb%3Fc%23d/x');
  });

  it.each(['.', '..', ''])('refuses %p, which would change the route once the URL is parsed', (id) => {
    expect(() => path`/checkout-sessions/${id}`).toThrow(SiglumeValidationError);
  });

  it('keeps ids that merely contain dots', () => {
    expect(path`/s/${'...'}/${'a..b'}/${'.x'}`).toBe('/s/.../a..b/.x');
    expect(new URL(`https://api.test/v1${path`/s/${'...'}`}`).pathname).toBe('/v1/s/...');
  });
});

describe('sameUrl (the one URL comparison of setupCheckout, readiness and the sandbox CLI)', () => {
  it('takes a host in another case and an explicit default port for the same URL', () => {
    expect(sameUrl('https://Shop.example:443/hook', 'https://shop.example/hook')).toBe(true);
    expect(sameUrl('http://127.0.0.1:80/h', 'http://127.0.0.1/h')).toBe(true);
  });

  it('tells a different path, a trailing slash or another port apart', () => {
    expect(sameUrl('https://shop.example/hook', 'https://shop.example/hook/')).toBe(false);
    expect(sameUrl('https://shop.example/hook', 'https://shop.example:8443/hook')).toBe(false);
  });

  it('compares text that is no URL as text, and never matches an absent value', () => {
    expect(sameUrl('my_shop', 'my_shop')).toBe(true);
    expect(sameUrl('my_shop', 'https://my_shop/')).toBe(false);
    expect(sameUrl(null, 'https://shop.example/hook')).toBe(false);
    expect(sameUrl(undefined, undefined)).toBe(false);
  });
});
