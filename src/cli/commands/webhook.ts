/**
 * `webhook trigger <kind>` posts a signed test event to a local endpoint;
 * `webhook sign` prints the Siglume-Signature header for a raw body on stdin.
 *
 * The secret is resolved the way readiness resolves its settings: `--secret`,
 * else SIGLUME_WEBHOOK_SECRET from the real environment, else from `.env` (or
 * `.env.local` when there is no `.env`, or the `--dotenv` file), read by the
 * one env-file loader. `trigger` falls back
 * to the testing secret only when asked (`--test-secret`) or when nothing is
 * configured, and says so; it always says where the secret came from.
 */
import type { Command } from 'commander';
import { signingSecretHasWhitespace, signingSecretIsQuoted } from '../../internal/secrets.js';
import { CliError, shownValue, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { Output, WebhookSecretOrigin } from '../output.js';
import { parseAmountMinor, parseCurrency, parseTimeoutMs, parseUnixSeconds, refuseEmptyValues } from '../parse.js';

const SECRET_VAR = 'SIGLUME_WEBHOOK_SECRET';
const URL_VAR = 'SHOP_WEBHOOK_URL';
const MERCHANT_VAR = 'SIGLUME_DIRECT_PAYMENT_MERCHANT';

interface TriggerFlags {
  url?: string;
  secret?: string;
  testSecret?: boolean;
  dotenv?: string;
  amountMinor?: number;
  currency?: 'JPY' | 'USD';
  merchant?: string;
  timeout?: number;
  json?: boolean;
}

interface SignFlags {
  secret?: string;
  dotenv?: string;
  timestamp?: number;
}

/** A configured secret and where it came from, or null; plus every secret value the command knows. */
async function configuredSecret(
  flags: { secret?: string; dotenv?: string },
  io: CliIo,
  output: Output,
): Promise<{ secret: string | null; origin: WebhookSecretOrigin | null; known: string[]; webhook_url: string | null; merchant: string | null; file: string }> {
  const [{ mergeEnvFile, envSource, envFileNote, envFileWarnings, DEFAULT_ENV_FILE, FALLBACK_ENV_FILE }, { envSecretValues }] = await Promise.all([
    import('../env-file.js'),
    import('../env-secrets.js'),
  ]);
  const merged = mergeEnvFile(io.env, io.cwd, flags.dotenv);
  const note = envFileNote(merged);
  if (note) output.note(note);
  for (const warning of envFileWarnings(merged)) output.warning(warning);
  // The file the error messages name: the one read, or the one that would have been.
  const file = flags.dotenv ?? (merged.fallback ? FALLBACK_ENV_FILE : DEFAULT_ENV_FILE);
  // Values the CLI never prints, whatever an endpoint echoes: the environment's secrets, file and real alike.
  const known = envSecretValues(merged.file_values ?? {}, merged.env, io.env);
  // The shop's webhook URL as readiness reads it: the environment, else the env file.
  const webhook_url = envSource(URL_VAR, io.env, merged) === null ? null : merged.env[URL_VAR]!;
  // The shop's own merchant key: a handler ignores another merchant's events (rule 5a of the order core).
  const merchant = envSource(MERCHANT_VAR, io.env, merged) === null ? null : merged.env[MERCHANT_VAR]!;
  if (flags.secret !== undefined) {
    return { secret: flags.secret, origin: { source: 'flag' }, known: [flags.secret, ...known], webhook_url, merchant, file };
  }
  const source = envSource(SECRET_VAR, io.env, merged);
  if (source === null) return { secret: null, origin: null, known, webhook_url, merchant, file };
  const origin: WebhookSecretOrigin = source === 'environment' ? { source } : { source, env_file: merged.loaded! };
  return { secret: merged.env[SECRET_VAR]!, origin, known, webhook_url, merchant, file };
}

/** The flag or variable a secret came from, as the user set it. */
function secretName(origin: WebhookSecretOrigin): string {
  return origin.source === 'flag' ? '--secret' : origin.source === 'env_file' ? `${SECRET_VAR} in ${origin.env_file}` : SECRET_VAR;
}

/**
 * Refuses a secret with a space or line break anywhere (`SIGLUME_WEBHOOK_SECRET="whsec_x "` in .env), or wrapped
 * in quotes that were kept as part of it: an event signed and checked with it would pass here while real
 * deliveries fail. Never prints the value.
 */
function refuseMangledSecret(secret: string | null, origin: WebhookSecretOrigin | null): void {
  if (secret === null || origin === null) return;
  // Quotes kept as part of the value (docker --env-file): refused as a space is, for the same reason.
  if (signingSecretIsQuoted(secret)) {
    throw usageError(
      `${secretName(origin)} starts or ends with a quote character; Siglume's webhook secrets have none: remove the quotes ` +
        'where it is set (docker --env-file and some secret stores keep them as part of the value)',
    );
  }
  if (!signingSecretHasWhitespace(secret)) return;
  throw usageError(
    `${secretName(origin)} contains a space or line break (leading, trailing or inside); Siglume's webhook secrets have none: ` +
      'check the quoting where it is set',
  );
}

/**
 * A warning, not an error, for a secret without the `whsec_` prefix (a real one may change shape one day):
 * most often the challenge secret or a token in the wrong place.
 */
function warnUnlikeSecret(secret: string | null, origin: WebhookSecretOrigin | null, output: Output): void {
  if (secret === null || origin === null || secret.startsWith('whsec_')) return;
  const name = secretName(origin);
  output.warning(`${name} does not start with "whsec_" like Siglume's webhook signing secrets (is it the challenge secret or a token?); signing with it anyway.`);
}

/** How long `webhook trigger` waits for the endpoint before saying it still waits. */
const TRIGGER_SLOW_MS = 2000;

/** How `webhook sign` is run: the secret from SIGLUME_WEBHOOK_SECRET (environment or .env), not typed into shell history. */
const SIGN_EXAMPLE = 'siglume-sdrp webhook sign < body.json';

/** The most `webhook sign` reads from stdin: far above any webhook body, far below what could exhaust memory. */
const MAX_SIGN_BODY_BYTES = 16 * 1024 * 1024;

/** All of stdin; stops reading and exits 2 past {@link MAX_SIGN_BODY_BYTES} (`< /dev/zero` would never end). */
async function readAll(io: CliIo): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const read = async function* () {
    try {
      yield* io.stdin;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw usageError(`Cannot read stdin${code ? ` (${code})` : ''}: pipe the raw webhook body, e.g. \`${SIGN_EXAMPLE}\``);
    }
  };
  for await (const chunk of read()) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    size += chunks.at(-1)!.length;
    if (size > MAX_SIGN_BODY_BYTES) {
      throw usageError(`The body on stdin is over ${MAX_SIGN_BODY_BYTES / 1024 / 1024} MiB; pipe the webhook body itself (Siglume's are a few KiB)`);
    }
  }
  // `< /dev/null`, a closed stdin (Node reopens it on /dev/null) and `< dir` all read as nothing: no body to sign.
  if (size === 0) throw usageError(`Nothing on stdin (empty, closed or unreadable): pipe the raw webhook body, e.g. \`${SIGN_EXAMPLE}\``);
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
    .usage('<command> [options]')
    .helpCommand(false)
    .summary('send signed test events to your webhook handler, or sign a body')
    .description('Test a webhook handler locally without Siglume: trigger signed events, or sign a raw body.')
    .addHelpText('after', '\nExit codes: 0 help shown, 2 without a subcommand or with an unknown one; see each subcommand for its own.');

  webhook
    .command('trigger')
    // Listed lower case, as every command's summary; its own --help says it as a sentence, as theirs do.
    .summary('POST a signed test event of one classifier kind to your endpoint and print the response status')
    .description('POST a signed test event of one classifier kind to your endpoint and print the response status.')
    .argument('<kind>', 'standard-settled | metered-accepted | batch-settled | unknown')
    // Checked in the action, after the kind: a wrong kind is the first thing to hear about.
    .option('--url <endpoint>', 'webhook endpoint, e.g. http://127.0.0.1:3000/payments/webhooks/siglume (default: SHOP_WEBHOOK_URL from the environment, else from .env, or .env.local without one)')
    .option('--secret <whsec>', 'signing secret (default: SIGLUME_WEBHOOK_SECRET from the environment, else from .env, or .env.local without one)')
    .option('--test-secret', 'sign with the built-in test secret of the testing helpers instead')
    .option('--dotenv <path>', 'dotenv file to read instead of .env / .env.local (never overrides the environment)')
    .option('--amount-minor <n>', 'payment amount in minor units', parseAmountMinor)
    .option('--currency <code>', 'JPY or USD', parseCurrency)
    .option('--merchant <key>', `merchant key in the event (default: ${MERCHANT_VAR} from the environment or .env, else shop_test)`)
    .option('--timeout <ms>', 'how long to wait for the endpoint (default 10000)', parseTimeoutMs)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `\nExamples (the secret from ${SECRET_VAR}, the endpoint from ${URL_VAR}, in the environment or .env):\n` +
        `  ${'siglume-sdrp webhook trigger standard-settled'.padEnd(60)}a settled payment to your local handler\n` +
        `  ${'siglume-sdrp webhook trigger unknown --url http://127.0.0.1:3000/payments/webhooks/siglume'}\n` +
        `  ${''.padEnd(60)}an event the handler must ignore, to a given URL\n` +
        `  ${'siglume-sdrp webhook trigger metered-accepted --json'.padEnd(60)}the result as JSON, for scripts\n` +
        '\nExit codes: 0 when the endpoint answered 2xx, 1 otherwise, 2 usage error (a secret with spaces included).',
    )
    .action(async (kind: string, flags: TriggerFlags) => {
      const [{ triggerTestWebhook, webhookTriggerAttempt, webhookTriggerKind, webhookTriggerUrl, WEBHOOK_TRIGGER_KINDS }, { redactShown }, { isLoopbackHost }] = await Promise.all([
        import('../../devtools/webhook-trigger.js'),
        import('../env-secrets.js'),
        import('../../core/validation.js'),
      ]);
      if (!webhookTriggerKind(kind)) {
        throw usageError(`Unknown kind "${shownValue(kind)}": use one of ${Object.keys(WEBHOOK_TRIGGER_KINDS).join(', ')}`);
      }
      if (flags.testSecret && flags.secret !== undefined) throw usageError('Pass either --secret or --test-secret, not both');
      const configured = await configuredSecret(flags, io, output);
      const url = flags.url ?? configured.webhook_url;
      if (url === null) {
        throw usageError(`No endpoint: pass --url or set ${URL_VAR} (in the environment or ${configured.file}), e.g. --url http://127.0.0.1:3000/payments/webhooks/siglume`);
      }
      try {
        // Named as the user gave it: the flag, or the variable it came from.
        webhookTriggerUrl(url, flags.url === undefined ? URL_VAR : '--url');
      } catch (error) {
        throw usageError((error as Error).message);
      }
      // A deployed project's SHOP_WEBHOOK_URL is the live shop: a test event goes there only when asked for by --url.
      if (flags.url === undefined && !isLoopbackHost(new URL(url).hostname)) {
        throw usageError(`${URL_VAR} is ${new URL(url).origin}, not this machine: pass --url to send a test event there on purpose`);
      }
      let origin = configured.origin;
      if (!flags.testSecret) refuseMangledSecret(configured.secret, configured.origin);
      if (!flags.testSecret) warnUnlikeSecret(configured.secret, configured.origin, output);
      if (flags.testSecret) origin = { source: 'test_secret' };
      else if (!origin) {
        origin = { source: 'test_secret_fallback' };
        output.warning(
          `No webhook secret configured (no --secret, no ${SECRET_VAR} in the environment or ${configured.file}): ` +
            'signing with the built-in TEST secret. A handler using your real secret will refuse it (503); ' +
            `pass --secret, set ${SECRET_VAR}, or say --test-secret to mean it.`,
        );
      }
      const sent = triggerTestWebhook({
        kind,
        url,
        secret: origin.source === 'test_secret' || origin.source === 'test_secret_fallback' ? undefined : configured.secret!,
        amount_minor: flags.amountMinor,
        currency: flags.currency,
        merchant: flags.merchant ?? configured.merchant ?? undefined,
        timeout_ms: flags.timeout,
      });
      // A handler that takes its time (or hangs until --timeout) is not a frozen CLI: say so on a terminal.
      const waiting =
        flags.json !== true && io.stderr.isTTY === true
          ? setTimeout(() => output.webhookTriggerWaiting(redactShown(url, configured.known)), TRIGGER_SLOW_MS)
          : undefined;
      void sent.finally(() => clearTimeout(waiting)).catch(() => {});
      const result = await sent.catch((error: unknown) => {
        const attempt = webhookTriggerAttempt(error);
        if (!attempt) throw error;
        // No answer: --json still prints one result, with the cause in `error`.
        const shown = redactShown({ ...attempt, url }, configured.known);
        if (!flags.json) throw new CliError('failed', shown.message);
        output.webhookTriggerFailure(shown, origin);
        throw new CliError('failed');
      });
      // The library already scrubbed its signing secret; this also covers the environment's secrets an endpoint might echo.
      const shown = redactShown({ ...result, url }, configured.known);
      output.webhookTriggerResult(shown, origin, { json: flags.json === true });
      if (!result.ok) throw new CliError('failed');
    });

  webhook
    .command('sign')
    .summary('print the Siglume-Signature header for the raw body read from stdin')
    .description('Print the Siglume-Signature header for the raw body read from stdin.')
    .option('--secret <whsec>', 'signing secret (default: SIGLUME_WEBHOOK_SECRET from the environment, else from .env, or .env.local without one)')
    .option('--dotenv <path>', 'dotenv file to read instead of .env / .env.local (never overrides the environment)')
    .option('--timestamp <unix>', 'signature time in Unix seconds (default: now)', parseUnixSeconds)
    .addHelpText(
      'after',
      `\nExamples (the secret from ${SECRET_VAR}, so it stays out of shell history):\n` +
        `  ${SIGN_EXAMPLE.padEnd(60)}${SECRET_VAR} from the environment or .env\n` +
        `  ${'siglume-sdrp webhook sign --dotenv .env.local < body.json'.padEnd(60)}from another dotenv file\n` +
        '\nExit codes: 0 header printed, 2 usage error (no secret or one with spaces, nothing or too much on stdin, stdin a terminal).',
    )
    .action(async (flags: SignFlags) => {
      const { secret, origin, file } = await configuredSecret(flags, io, output);
      if (!secret) throw usageError(`No secret: pass --secret or set SIGLUME_WEBHOOK_SECRET (in the environment or ${file})`);
      refuseMangledSecret(secret, origin);
      warnUnlikeSecret(secret, origin, output);
      if (io.stdin.isTTY) throw usageError(`Pipe the raw body on stdin, e.g. \`${SIGN_EXAMPLE}\``);
      const [{ buildWebhookSignatureHeader }, body] = await Promise.all([import('../../webhooks/signature.js'), readAll(io)]);
      const header = await buildWebhookSignatureHeader(
        secret,
        body,
        flags.timestamp !== undefined ? { timestamp: flags.timestamp } : {},
      );
      output.webhookHeader(header);
    });
  // `--url ""` would otherwise post a signed event to SHOP_WEBHOOK_URL, `--secret ""` sign with the configured secret.
  for (const command of webhook.commands) refuseEmptyValues(command);
}
