/**
 * `webhook trigger <kind>` posts a signed test event to a local endpoint;
 * `webhook sign` prints the Siglume-Signature header for a raw body on stdin.
 * The secret comes from `--secret`, else SIGLUME_WEBHOOK_SECRET.
 */
import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { Output } from '../output.js';
import { parseAmountMinor, parseCurrency, parseTimeoutMs, parseUnixSeconds } from '../parse.js';

interface TriggerFlags {
  url: string;
  secret?: string;
  amountMinor?: number;
  currency?: 'JPY' | 'USD';
  merchant?: string;
  timeout?: number;
  json?: boolean;
}

interface SignFlags {
  secret?: string;
  timestamp?: number;
}

function secretFrom(flag: string | undefined, io: CliIo): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = io.env.SIGLUME_WEBHOOK_SECRET;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
}

async function readAll(io: CliIo): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of io.stdin) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Registers `webhook trigger` and `webhook sign` on the program. */
export function registerWebhookCommand(program: Command, io: CliIo, output: Output): void {
  const webhook = program
    .command('webhook')
    .helpCommand(false)
    .summary('send signed test events to your webhook handler, or sign a body')
    .description('Test a webhook handler locally without Siglume: trigger signed events, or sign a raw body.');

  webhook
    .command('trigger')
    .description('POST a signed test event of one classifier kind to your endpoint and print the response status.')
    .argument('<kind>', 'standard-settled | metered-accepted | batch-settled | unknown')
    .requiredOption('--url <endpoint>', 'webhook endpoint, e.g. http://127.0.0.1:3000/payments/webhooks/siglume')
    .option('--secret <whsec>', 'signing secret (default: SIGLUME_WEBHOOK_SECRET, else the test secret)')
    .option('--amount-minor <n>', 'payment amount in minor units', parseAmountMinor)
    .option('--currency <code>', 'JPY or USD', parseCurrency)
    .option('--merchant <key>', 'merchant key in the event')
    .option('--timeout <ms>', 'how long to wait for the endpoint (default 10000)', parseTimeoutMs)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit codes: 0 when the endpoint answered 2xx, 1 otherwise, 2 usage error.')
    .action(async (kind: string, flags: TriggerFlags) => {
      const { triggerTestWebhook } = await import('../../devtools/webhook-trigger.js');
      const result = await triggerTestWebhook({
        kind,
        url: flags.url,
        secret: secretFrom(flags.secret, io),
        amount_minor: flags.amountMinor,
        currency: flags.currency,
        merchant: flags.merchant,
        timeout_ms: flags.timeout,
      });
      output.webhookTriggerResult({ ...result, url: flags.url }, { json: flags.json === true });
      if (!result.ok) throw new CliError('failed');
    });

  webhook
    .command('sign')
    .description('Print the Siglume-Signature header for the raw body read from stdin.')
    .option('--secret <whsec>', 'signing secret (default: SIGLUME_WEBHOOK_SECRET)')
    .option('--timestamp <unix>', 'signature time in Unix seconds (default: now)', parseUnixSeconds)
    .addHelpText('after', '\nExample:\n  siglume-sdrp webhook sign --secret whsec_... < body.json')
    .action(async (flags: SignFlags) => {
      const secret = secretFrom(flags.secret, io);
      if (!secret) throw usageError('No secret: pass --secret or set SIGLUME_WEBHOOK_SECRET');
      if (io.stdin.isTTY) throw usageError('Pipe the raw body on stdin, e.g. `siglume-sdrp webhook sign --secret whsec_... < body.json`');
      const [{ buildWebhookSignatureHeader }, body] = await Promise.all([import('../../webhooks/signature.js'), readAll(io)]);
      const header = await buildWebhookSignatureHeader(
        secret,
        body,
        flags.timestamp !== undefined ? { timestamp: flags.timestamp } : {},
      );
      output.webhookHeader(header);
    });
}
