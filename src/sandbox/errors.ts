/**
 * Errors of the sandbox. {@link SandboxStateFileError} and {@link SandboxStartError} reach the caller of
 * `createSandbox` / `startSandbox`; {@link SandboxHttpError} becomes an error envelope.
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

ownErrorClasses({ SandboxStateFileError, SandboxStartError });

/** An API error the sandbox answers with `{ error: { code, message, field?, ...details }, meta }`. */
export class SandboxHttpError extends Error {
  override name = 'SandboxHttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

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
