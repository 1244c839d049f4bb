/**
 * Errors of the sandbox. {@link SandboxStateFileError} and
 * {@link SandboxStartError} reach the caller of `createSandbox` /
 * `startSandbox`; {@link SandboxHttpError} is internal and becomes an error
 * envelope.
 */
import { SiglumeDirectRequestPaymentError } from '../core/errors.js';

/**
 * The state file could not be read, parsed or written. The message names the
 * file and what is wrong with it, never its contents (it holds secrets).
 */
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

/** An API error the sandbox answers with `{ error: { code, message, field? }, meta }`. */
export class SandboxHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: { field?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'SandboxHttpError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
}

/** 422 `VALIDATION_ERROR` naming the field. */
export function invalidField(field: string, reason: string): SandboxHttpError {
  return new SandboxHttpError(422, 'VALIDATION_ERROR', `Invalid ${field}: ${reason}`, { field });
}

/**
 * Thrown (deliberately not an `Error`, so hono's error handler lets it pass)
 * when a fault says the connection is dropped without an answer. The socket
 * adapter destroys the socket; the in-process `fetch` rejects with a
 * `TypeError`, as fetch does on a network error.
 */
export class ConnectionDropped {
  constructor(readonly reason: string) {}
}
