/**
 * `instanceof` across two copies of the package's modules, as an app holds when it loads the ESM build
 * and the CommonJS build (test/package/pack.test.ts checks the built files; here `vi.resetModules()` makes
 * the second copy from the sources). The package's own classes match across copies; a subclass of yours
 * matches only through its prototype chain.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';

type Classes = Record<string, unknown>;
type ErrorClass = abstract new (...args: never[]) => Error;

/** Every error class the package exports, by export name, from the entry points that export them. */
async function load(): Promise<Classes> {
  const entries = await Promise.all([
    import('../../src/index.js'),
    import('../../src/orders/index.js'),
    import('../../src/sandbox/index.js'),
    import('../../src/init/copy-template.js'),
  ]);
  const base = entries[0].SiglumeDirectRequestPaymentError;
  const classes: Classes = {};
  for (const entry of entries) {
    for (const [name, value] of Object.entries(entry)) {
      if (typeof value === 'function' && (value === base || value.prototype instanceof base)) classes[name] = value;
    }
  }
  return classes;
}

let first: Classes;
let second: Classes;

beforeAll(async () => {
  first = await load();
  vi.resetModules();
  second = await load();
});

const make = (C: unknown) => Object.create((C as ErrorClass).prototype) as Error; // the prototype alone; no constructor arguments to guess
const construct = (C: unknown, ...args: unknown[]) => new (C as new (...a: unknown[]) => Error)(...args);

describe('error classes of two copies of the package', () => {
  it('are distinct copies, and the test finds every exported error class', () => {
    expect(second.SiglumeApiError).not.toBe(first.SiglumeApiError);
    expect(Object.keys(first).sort()).toEqual(Object.keys(second).sort());
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining([
        'SiglumeDirectRequestPaymentError',
        'SiglumeWebhookSignatureError',
        'HostedCheckoutNotAvailableError',
        'OrderStoreMisconfiguredError',
        'SandboxStartError',
        'TemplateWriteError',
      ]),
    );
    expect(Object.keys(first).length).toBeGreaterThanOrEqual(24);
  });

  it('match each exported class of the other copy, its ancestors, and nothing else', () => {
    const names = Object.keys(first);
    for (const name of names) {
      const C = second[name] as ErrorClass;
      // An instance made through the real constructor carries the class list; the arguments differ per class.
      const error = Reflect.construct(first.SiglumeDirectRequestPaymentError as ErrorClass, ['x'], first[name] as ErrorClass) as Error;
      for (const other of names) {
        const related = (first[name] as ErrorClass).prototype instanceof (first[other] as ErrorClass) || other === name;
        expect(error instanceof (second[other] as ErrorClass), `${name} instanceof the other copy's ${other}`).toBe(related);
      }
      expect(error).toBeInstanceOf(Error);
      expect(make(C) instanceof (first[name] as ErrorClass), 'a bare prototype carries no class list').toBe(false);
    }
  });

  it('match an error thrown by the other copy in a catch written against this one', async () => {
    const { verifyWebhookSignature } = (await import('../../src/webhooks/index.js')) as {
      verifyWebhookSignature: (secret: string, body: string, header: string) => Promise<unknown>;
    };
    const thrown = await verifyWebhookSignature('whsec_abcdefghijklmnop', '{}', 't=1,v1=00').catch((e: unknown) => e);
    expect(thrown instanceof (first.SiglumeWebhookSignatureError as ErrorClass)).toBe(true);
    expect(thrown instanceof (second.SiglumeWebhookSignatureError as ErrorClass)).toBe(true);
    expect(thrown instanceof (first.SiglumeWebhookPayloadError as ErrorClass)).toBe(false);
  });
});

describe('subclasses of yours', () => {
  it('match only through their prototype chain, never by a shared name', () => {
    const SiglumeApiError = first.SiglumeApiError as new (init: { status: number; message?: string }) => Error;
    const errorFor = () => class extends SiglumeApiError {};
    const [OutOfStock, CardDeclined] = [errorFor(), errorFor()];
    expect(OutOfStock.name).toBe(CardDeclined.name);
    const error = new OutOfStock({ status: 409, message: 'out of stock' });
    expect(error instanceof OutOfStock).toBe(true);
    expect(error instanceof CardDeclined).toBe(false);
    expect(error instanceof (second.SiglumeApiError as ErrorClass)).toBe(true);
    expect(error instanceof (second.SiglumeConflictError as ErrorClass)).toBe(false);

    class SiglumeNotFoundError extends SiglumeApiError {}
    const mine = new SiglumeNotFoundError({ status: 404 });
    expect(mine instanceof (first.SiglumeNotFoundError as ErrorClass)).toBe(false);
    expect(construct(first.SiglumeNotFoundError, { status: 404 }) instanceof SiglumeNotFoundError).toBe(false);
  });

  it('leave non-errors alone', () => {
    const C = first.SiglumeValidationError as ErrorClass;
    for (const value of [null, undefined, 0, 'SiglumeValidationError', { name: 'SiglumeValidationError' }, Object.create(null)]) {
      expect(value instanceof C).toBe(false);
    }
    expect(structuredClone(construct(C, 'amount_minor', 'bad')) instanceof C).toBe(false);
  });
});
