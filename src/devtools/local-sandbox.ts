/**
 * The one place `readiness --sandbox` talks to the sandbox module: its
 * defaults, which inputs it would accept, and starting one in-process. Kept
 * small and alone on purpose, so a change of the sandbox's option or handle
 * names is an edit here only. Everything this module hands out uses the
 * snake_case names of the readiness options.
 */
import { resolveSandboxOptions, sandboxOptionOrUndefined } from '../sandbox/options.js';

/** What a merchant app is configured with for a sandbox, in readiness's names. */
export interface LocalSandboxInputs {
  merchant?: string | undefined;
  merchant_token?: string | undefined;
  webhook_secret?: string | undefined;
  shop_origin?: string | undefined;
  webhook_url?: string | undefined;
}

/** A sandbox started by {@link startLocalSandbox}. */
export interface LocalSandbox {
  /** `base_url` of the clients, e.g. `http://127.0.0.1:53121/v1`. */
  api_base: string;
  /** The variables a merchant app needs for it (`SIGLUME_API_BASE`, tokens, merchant, secret, shop URLs). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The sandbox's defaults: what it seeds when started without options. */
export function localSandboxDefaults(): Required<LocalSandboxInputs> & { api_base: string } {
  const d = resolveSandboxOptions({});
  return {
    merchant: d.merchant,
    merchant_token: d.merchant_token,
    webhook_secret: d.webhook_secret,
    shop_origin: d.origin,
    webhook_url: d.webhook_url,
    api_base: `http://${d.host}:${d.port}/v1`,
  };
}

/**
 * The inputs the sandbox itself would accept; any other becomes undefined,
 * so a bad value cannot stop the sandbox from starting (readiness reports it
 * as a failing config check instead).
 */
export function acceptedByLocalSandbox(inputs: LocalSandboxInputs): LocalSandboxInputs {
  return {
    merchant: sandboxOptionOrUndefined('merchant', inputs.merchant),
    merchant_token: sandboxOptionOrUndefined('merchant_token', inputs.merchant_token),
    webhook_secret: sandboxOptionOrUndefined('webhook_secret', inputs.webhook_secret),
    shop_origin: sandboxOptionOrUndefined('origin', inputs.shop_origin),
    webhook_url: sandboxOptionOrUndefined('webhook_url', inputs.webhook_url),
  };
}

/** Starts a quiet sandbox on 127.0.0.1 and a free port, seeded with `inputs` (defaults for the rest). */
export async function startLocalSandbox(inputs: LocalSandboxInputs): Promise<LocalSandbox> {
  // Loaded only when a sandbox is started: the sandbox is the heaviest module of the package.
  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    merchant: inputs.merchant,
    merchant_token: inputs.merchant_token,
    webhook_secret: inputs.webhook_secret,
    origin: inputs.shop_origin,
    webhook_url: inputs.webhook_url,
    quiet: true,
  });
  return { api_base: sandbox.api_base, env: { ...sandbox.env }, close: () => sandbox.close() };
}
