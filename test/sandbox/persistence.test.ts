import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiglumeDirectRequestPaymentError } from '../../src/core/errors.js';
import { SandboxStateFileError, createSandbox, startSandbox } from '../../src/sandbox/index.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let dir: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdrp-sandbox-'));
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox state file', () => {
  describe('when the sandbox restarts with the same file', () => {
    it('keeps merchants, their secrets, subscriptions, sessions and events', async () => {
      const stateFile = join(dir, 'nested', 'state.json');
      const first = await sandboxFor(receiver, { state_file: stateFile });
      const setup = await call(first, 'POST', '/sdrp/direct-payments/merchants', {
        body: { merchant: 'kept_shop', checkout_allowed_origins: [receiver.origin] },
      });
      const challengeSecret: string = setup.body.data.challenge_secret;
      const sub = await call(first, 'POST', '/market/webhooks/subscriptions', { body: { callback_url: 'https://kept.example/hook' } });
      const session = await createSession(first, { nonce: 'kept-1' });
      const paid = await createSession(first, { nonce: 'kept-2' });
      await first.payCheckoutSession(paid.session_id);
      await first.close();

      const second = await startSandbox({ port: 0, state_file: stateFile });
      try {
        expect(second.getMerchant('kept_shop')!.challenge_secret).toBe(challengeSecret);
        expect(second.listWebhookSubscriptions().find((s) => s.id === sub.body.data.id)!.signing_secret).toBe(sub.body.data.signing_secret);
        expect(second.env.SHOP_WEBHOOK_URL).toBe(receiver.url);
        const merchant = await call(second, 'GET', '/sdrp/direct-payments/merchants/kept_shop');
        expect(merchant.status).toBe(200);
        expect(merchant.body.data.challenge_secret).toBeUndefined();
        const open = await call(second, 'GET', `/sdrp/direct-payments/checkout-sessions/${session.session_id}`);
        expect(open.body.data).toMatchObject({ status: 'open', challenge_hash: session.challenge_hash });
        // The checkout URL follows the new port.
        expect(open.body.data.checkout_url).toBe(`${second.url}/pay/${session.session_id}`);
        const done = await call(second, 'GET', `/sdrp/direct-payments/checkout-sessions/${paid.session_id}`);
        expect(done.body.data.status).toBe('paid');
        // The restored challenge secret still verifies the restored session: paying it works.
        const result = await second.payCheckoutSession(session.session_id);
        expect(result.session.status).toBe('paid');
      } finally {
        await second.close();
      }
    });

    it('reads a settlement batch of an older sandbox: settled without settlement_trigger is a scheduled close, open is null', async () => {
      const stateFile = join(dir, 'older-batch.json');
      const first = await sandboxFor(receiver, { state_file: stateFile });
      await first.payCheckoutSession((await createSession(first, { amount_minor: 300, nonce: 'older-1' })).session_id);
      await first.close();
      const state = JSON.parse(await readFile(stateFile, 'utf8'));
      const batchId = Object.keys(state.settlement_batches)[0]!;
      const open = state.settlement_batches[batchId];
      // A settled copy without the fields, and the open one as older sandboxes wrote it (`scheduled_close` while open).
      const settledId = `${batchId}_settled`;
      state.settlement_batches[settledId] = { ...open, settlement_batch_id: settledId, status: 'settled', usage_event_ids: [] };
      delete state.settlement_batches[settledId].settlement_trigger;
      delete state.settlement_batches[settledId].threshold_reached_at;
      open.settlement_trigger = 'scheduled_close';
      await writeFile(stateFile, JSON.stringify(state));
      const second = await startSandbox({ port: 0, state_file: stateFile });
      try {
        const settled = await call(second, 'GET', `/sdrp/metered/provider/settlement-batches/${settledId}`);
        expect(settled.body.data).toMatchObject({ settlement_trigger: 'scheduled_close', threshold_reached_at: null });
        const stillOpen = await call(second, 'GET', `/sdrp/metered/provider/settlement-batches/${batchId}`);
        expect(stillOpen.body.data).toMatchObject({ status: 'open', settlement_trigger: null });
      } finally {
        await second.close();
      }
    });

    it('writes atomically, leaving no temp file behind and a file only the owner can read', async () => {
      const stateFile = join(dir, 'atomic.json');
      const sb = await sandboxFor(receiver, { state_file: stateFile });
      await Promise.all(Array.from({ length: 20 }, (_, i) => createSession(sb, { nonce: `burst-${i}` })));
      await sb.close();
      const entries = await readdir(dir);
      expect(entries.filter((e) => e.endsWith('.tmp'))).toEqual([]);
      const parsed = JSON.parse(await readFile(stateFile, 'utf8'));
      expect(Object.keys(parsed.checkout_sessions)).toHaveLength(20);
      if (process.platform !== 'win32') expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    });
  });

  describe('when another sandbox uses the file', () => {
    it('refuses the second one naming the file and the pid, and takes the file once the first has closed', async () => {
      const stateFile = join(dir, 'shared.json');
      const first = await createSandbox({ quiet: true, state_file: stateFile });
      expect((await readFile(`${stateFile}.lock`, 'utf8')).split(' ')[0]).toBe(String(process.pid));
      // The same process counts: two vitest workers, or two sandboxes in one test, would overwrite each other.
      for (const start of [() => createSandbox({ state_file: stateFile }), () => startSandbox({ port: 0, state_file: stateFile })]) {
        const error = await start().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SandboxStateFileError);
        expect((error as SandboxStateFileError).file).toBe(stateFile);
        expect((error as Error).message).toBe(
          `The sandbox state file ${stateFile} is in use by another sandbox (process ${process.pid}, lock file ${stateFile}.lock). ` +
            'Close that sandbox, or use another state file (--state-file); if that process is no sandbox, delete the lock file.',
        );
      }
      await first.close();
      await expect(readdir(dir)).resolves.not.toContain('shared.json.lock'); // removed after the final write
      const second = await createSandbox({ quiet: true, state_file: stateFile });
      expect(second.getMerchant('sandbox_shop')!.challenge_secret).toBe(first.getMerchant('sandbox_shop')!.challenge_secret);
      await second.close();
    });

    it('takes over a lock left by a process that is gone, and frees its lock when it cannot listen', async () => {
      const stateFile = join(dir, 'stale.json');
      const gone = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its lock is stale
      await writeFile(`${stateFile}.lock`, `${gone}\n`);
      const blocker = await startSandbox({ port: 0, quiet: true });
      try {
        const port = Number(new URL(blocker.url).port);
        await expect(startSandbox({ port, quiet: true, state_file: stateFile })).rejects.toThrow(/already in use/);
      } finally {
        await blocker.close();
      }
      const sb = await createSandbox({ quiet: true, state_file: stateFile });
      expect((await readFile(`${stateFile}.lock`, 'utf8')).split(' ')[0]).toBe(String(process.pid));
      await sb.close();
    });

    it('lets exactly one of several processes starting at once take the file, with or without a stale lock', async () => {
      const child = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));
      // Each says "started" or "refused"; the winner holds the file until every one has answered.
      const race = async (file: string) => {
        const runs = Array.from({ length: 5 }, () => spawn(process.execPath, ['--import', 'tsx', child, file], { stdio: ['pipe', 'pipe', 'inherit'] }));
        const closed = runs.map((run) => new Promise((resolve) => run.on('close', resolve)));
        const said = runs.map((run) => new Promise<string>((resolve) => run.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim()))));
        const outs = await Promise.all(said);
        for (const run of runs) run.stdin.end();
        await Promise.all(closed);
        return outs;
      };
      for (const stale of [false, true]) {
        const sub = join(dir, `race-${stale}`);
        const stateFile = join(sub, 'state.json');
        await createSandbox({ quiet: true, state_file: stateFile }).then((sb) => sb.close()); // the directory and file
        if (stale) await writeFile(`${stateFile}.lock`, `${spawnSync(process.execPath, ['-e', '']).pid!} gone\n`);
        const outs = await race(stateFile);
        expect(outs.filter((o) => o === 'started')).toHaveLength(1);
        expect(outs.filter((o) => o !== 'started')).toEqual(Array(4).fill('refused SANDBOX_STATE_FILE_INVALID'));
        expect((await readdir(sub)).sort()).toEqual(['state.json']); // no lock, temp or stale file left
      }
    }, 30_000);

    it('refuses a second sandbox of this process that reaches the same file through a symlinked directory', async () => {
      const real = join(dir, 'real');
      await mkdir(real);
      await symlink(real, join(dir, 'alias'));
      const first = await createSandbox({ quiet: true, state_file: join(real, 'state.json') });
      await expect(createSandbox({ quiet: true, state_file: join(dir, 'alias', 'state.json') })).rejects.toBeInstanceOf(SandboxStateFileError);
      await first.close();
      await expect(readdir(real)).resolves.toEqual(['state.json']);
    });

    it('takes over a lock naming this process when none of its sandboxes holds the file (pid 1 after a container restart)', async () => {
      const stateFile = join(dir, 'own-pid.json');
      await writeFile(`${stateFile}.lock`, `${process.pid} an-earlier-life\n`);
      const sb = await createSandbox({ quiet: true, state_file: stateFile });
      await sb.close();
      await expect(readdir(dir)).resolves.not.toContain('own-pid.json.lock');
    });

    it('leaves a lock it does not hold when it closes (the lock was replaced meanwhile)', async () => {
      const stateFile = join(dir, 'twin.json');
      const sb = await createSandbox({ quiet: true, state_file: stateFile });
      await writeFile(`${stateFile}.lock`, `${process.pid} another\n`);
      await sb.close();
      expect(await readFile(`${stateFile}.lock`, 'utf8')).toBe(`${process.pid} another\n`);
      await rm(`${stateFile}.lock`);
    });
  });

  describe('when a write fails and a later one succeeds', () => {
    it('close() resolves: the old error is cleared by the successful write', async () => {
      const sub = join(dir, 'transient');
      const sb = await startSandbox({ port: 0, quiet: true, state_file: join(sub, 's.json') });
      await rm(sub, { recursive: true });
      await writeFile(sub, 'a file where the directory was'); // the write fails (ENOTDIR / EEXIST)
      sb.setScenario('no_mandate');
      await sb.flush();
      await rm(sub);
      sb.setScenario('ready');
      await sb.flush();
      expect(JSON.parse(await readFile(join(sub, 's.json'), 'utf8')).scenario).toBe('ready');
      await expect(sb.close()).resolves.toBeUndefined();
    });
  });

  describe('when the file is corrupt', () => {
    it('refuses to start with an error naming the file, without echoing its contents', async () => {
      const stateFile = join(dir, 'corrupt.json');
      await writeFile(stateFile, '{"version":1,"seed":{"webhook_secret":"whsec_do_not_leak"');
      const error = await startSandbox({ port: 0, state_file: stateFile }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SandboxStateFileError);
      expect(error).toBeInstanceOf(SiglumeDirectRequestPaymentError);
      expect((error as SandboxStateFileError).file).toBe(stateFile);
      expect((error as Error).message).toContain(stateFile);
      expect((error as Error).message).toContain('not valid JSON');
      expect((error as Error).message).not.toContain('whsec_do_not_leak');
      // Never a silent reset: the file is untouched.
      expect(await readFile(stateFile, 'utf8')).toContain('whsec_do_not_leak');
    });

    it('refuses valid JSON that is not a sandbox state, saying which field is wrong', async () => {
      const stateFile = join(dir, 'wrong-shape.json');
      await writeFile(stateFile, JSON.stringify({ version: 1, seed: {}, merchants: [] }));
      await expect(startSandbox({ port: 0, state_file: stateFile })).rejects.toThrow(/seed\.merchant/);
    });

    it('refuses a path that cannot be read as a file', async () => {
      await expect(startSandbox({ port: 0, state_file: dir })).rejects.toBeInstanceOf(SandboxStateFileError);
    });
  });

  describe('when started with bad options', () => {
    it('names the option', async () => {
      await expect(startSandbox({ port: 70000 })).rejects.toThrow('Invalid port');
      await expect(startSandbox({ webhook_secret: 'nope' })).rejects.toThrow('Invalid webhook_secret');
      await expect(startSandbox({ merchant_token: 'cli_abcdefgh' })).rejects.toThrow('Invalid merchant_token');
      // A quoted token no client would send (the clients refuse it) is refused here too.
      await expect(startSandbox({ buyer_token: '"sdrp_sandbox_buyer"' })).rejects.toThrow(
        'Invalid buyer_token: must not start or end with a quote character',
      );
      // Not a raw "Invalid URL" from deep inside: a host no URL can carry is refused by name, before anything listens.
      for (const host of ['999.1.1.1', '[::1]', 'my host']) {
        await expect(startSandbox({ port: 0, host })).rejects.toThrow(/^Invalid host: must be an IP address or host name/);
      }
      // An unknown name (such as a 0.x camelCase one) is refused, not silently ignored.
      await expect(startSandbox({ webhookUrl: 'https://shop.example/hook' } as never)).rejects.toThrow('unknown option "webhookUrl"');
      // The error's field is the unknown key, and the message names the new name of a renamed one.
      await expect(startSandbox({ webhookUrl: 'https://shop.example/hook' } as never)).rejects.toMatchObject({
        field: 'webhookUrl',
        message: 'Invalid input: unknown option "webhookUrl" (did you mean "webhook_url"?)',
      });
      await expect(startSandbox({ token: 'sdrp_sandbox_token_1' } as never)).rejects.toThrow(
        'unknown option "token" (did you mean "merchant_token"?)',
      );
    });

    it('reports a port already in use', async () => {
      const a = await startSandbox({ port: 0 });
      try {
        const port = Number(new URL(a.url).port);
        await expect(startSandbox({ port })).rejects.toThrow(/already in use/);
      } finally {
        await a.close();
      }
    });
  });
});
