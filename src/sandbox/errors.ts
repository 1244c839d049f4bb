/**
 * Errors of the sandbox. {@link SandboxStateFileError} and {@link SandboxStartError} reach the caller of
 * `createSandbox` / `startSandbox`; {@link SandboxHttpError} becomes an error envelope, and is what a handle method
 * throws for the same refusal.
 */
import { SiglumeDirectRequestPaymentError, ownErrorClasses } from '../core/errors.js';

/** The state file could not be read, parsed or written, or another sandbox uses it. The message names the file and the problem, never its contents (secrets). */
export class SandboxStateFileError extends SiglumeDirectRequestPaymentError {
  /** Path of the state file. */
  readonly file: string;

  constructor(file: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SANDBOX_STATE_FILE_INVALID', cause: options.cause });
    this.file = file;
  }
}

/** The sandbox could not start listening (port in use, bad host, ...). */
export class SandboxStartError extends SiglumeDirectRequestPaymentError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SANDBOX_START_FAILED', cause: options.cause });
  }
}

/**
 * A refusal of the sandbox: its API answers it as `{ error: { code, message, field?, ...details }, meta }` with
 * `status`, and a handle method throws it as is, e.g. 404 `CHECKOUT_SESSION_NOT_FOUND` from `payCheckoutSession`.
 */
export class SandboxHttpError extends SiglumeDirectRequestPaymentError {
  constructor(
    /** The HTTP status the API answers with, e.g. 404 or 409. */
    readonly status: number,
    code: string,
    message: string,
    /** @internal */
    readonly extra: { field?: string; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message, { code });
  }
}

ownErrorClasses({ SandboxStateFileError, SandboxStartError, SandboxHttpError });

/** 409 `code`: a valid request that the record's current state refuses. */
export const conflict = (code: string, message: string, extra?: SandboxHttpError['extra']) =>
  new SandboxHttpError(409, code, message, extra);

export const notFound = (code: string, message: string) => new SandboxHttpError(404, code, message);

/** 422 `VALIDATION_ERROR` naming the field. */
export const invalidField = (field: string, reason: string) =>
  new SandboxHttpError(422, 'VALIDATION_ERROR', `Invalid ${field}: ${reason}`, { field });

/**
 * Thrown when a fault drops the connection without an answer. Deliberately not an `Error`, so hono's error
 * handler lets it through: the socket adapter destroys the socket, the in-process `fetch` rejects with a
 * `TypeError` (as fetch does on a network error).
 */
export class ConnectionDropped {
  constructor(readonly fault: string) {}
}
