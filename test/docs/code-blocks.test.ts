/**
 * Every ```ts block in README.md and docs/*.md compiles against the built
 * package, as a merchant would paste it. A block that is deliberately not a
 * whole file is marked ```ts fragment and skipped.
 *
 * All blocks go into one program (one compile, not one per block), each as
 * its own module. The Express template files sit next to them, the way
 * `siglume-sdrp init express` leaves them in a project, so a block may import
 * `./siglume-checkout.js` or `./siglume-config.js`; a second copy sits in
 * `payments/`, where the quickstart's `init express --target src/payments`
 * puts them next to its `src/server.ts`.
 *
 * Two checks go past compiling: snippets that show request input on a page
 * must answer it as plain text, and the quickstart's page snippet
 * (payWithSiglume) is run against a stubbed fetch.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { markdownFilesUnder, repoPath, root, scanMarkdown, type CodeBlock } from './support/markdown.js';
import { formatDiagnostics, packagePaths, requireDist } from './support/typescript.js';

const TS_LANGS = new Set(['ts', 'typescript']);

function documents(): string[] {
  const docs = markdownFilesUnder(join(root, 'docs')).filter((f) => !repoPath(f).startsWith('docs/api/'));
  return [join(root, 'README.md'), ...docs];
}

function tsBlocks(): { checked: CodeBlock[]; fragments: CodeBlock[] } {
  const all = documents().flatMap((f) => scanMarkdown(f).blocks.filter((b) => TS_LANGS.has(b.lang)));
  return {
    checked: all.filter((b) => !b.attributes.includes('fragment')),
    fragments: all.filter((b) => b.attributes.includes('fragment')),
  };
}

let work: string;

beforeAll(() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  // Inside the repository, so `express`, `pg` and `@types/node` resolve from its node_modules.
  work = join(root, '.tmp', `doc-blocks-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('TypeScript code blocks in README.md and docs/', () => {
  it('finds blocks to check in the README and in the guides', () => {
    const { checked } = tsBlocks();
    const files = new Set(checked.map((b) => repoPath(b.file)));
    expect(files).toContain('README.md');
    expect(files).toContain('docs/webhooks.md');
  });

  it('marks fragments explicitly and keeps them rare', () => {
    const { checked, fragments } = tsBlocks();
    // A fragment is never compiled; if most blocks were fragments this check would prove little.
    expect(fragments.length).toBeLessThan(checked.length / 3);
  });

  it('compiles every non-fragment block against the built package', () => {
    requireDist();
    const { checked } = tsBlocks();
    // As `init express --database postgres` lays them out.
    mkdirSync(join(work, 'payments'), { recursive: true });
    for (const dir of ['templates/express', 'templates/shared', 'templates/store/postgres']) {
      for (const name of readdirSync(join(root, dir)).filter((n) => n.endsWith('.ts'))) {
        copyFileSync(join(root, dir, name), join(work, name));
        copyFileSync(join(root, dir, name), join(work, 'payments', name));
      }
    }
    const origin = new Map<string, CodeBlock>();
    checked.forEach((block, i) => {
      const name = `block-${String(i).padStart(3, '0')}.ts`;
      writeFileSync(join(work, name), `${block.code}\n`);
      origin.set(join(work, name), block);
    });

    expect(compileBlocks(origin), 'code blocks that do not compile (mark a deliberate fragment as ```ts fragment)').toBe('');
  });
});

/** Compiles the files of `origin` as one program; the diagnostics in them, located in their markdown, or ''. */
function compileBlocks(origin: Map<string, CodeBlock>): string {
  const program = ts.createProgram({
    rootNames: [...origin.keys()],
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      moduleDetection: ts.ModuleDetectionKind.Force,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      // `tsc --init`'s default: a snippet passing `process.env.X` to an optional field must compile there too.
      exactOptionalPropertyTypes: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      paths: packagePaths(),
    },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || origin.has(d.file.fileName));
  return formatDiagnostics(diagnostics, (file, line) => {
    const block = origin.get(file)!;
    return `${repoPath(block.file)}:${block.line + line}`;
  });
}

describe('option bags of the built package, as a strict project (exactOptionalPropertyTypes) passes them', () => {
  it('take an optional value of the caller\'s own config: undefined counts as absent, in the types as at runtime', () => {
    requireDist();
    const code = `import { DirectRequestPaymentMerchantClient, verifyDirectRequestPaymentWebhook } from '@siglume/direct-request-payment';
import { createTestWebhookEvent } from '@siglume/direct-request-payment/testing';
import { createOrderCheckoutService, type OrderStore } from '@siglume/direct-request-payment/orders';
declare const config: { tolerance?: number; merchant?: string; timeout?: number; limit?: number; onError?: (error: unknown) => void };
declare const store: OrderStore;
export async function run(body: string, header: string) {
  await verifyDirectRequestPaymentWebhook('whsec_x', body, header, { tolerance_seconds: config.tolerance });
  await createTestWebhookEvent('standard_settled', { merchant: config.merchant });
  const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', timeout_ms: config.timeout });
  const checkout = createOrderCheckoutService({
    merchant_client: client, order_store: store, merchant: 'shop', shop_public_origin: 'https://shop.example', webhook_secret: 'whsec_x',
    onError: config.onError, webhook_tolerance_seconds: config.tolerance,
  });
  await checkout.reconcile({ limit: config.limit });
}
`;
    const file = join(work, 'optional-options.ts');
    writeFileSync(file, code);
    const block: CodeBlock = { file: join(root, 'test/docs/code-blocks.test.ts'), lang: 'ts', attributes: [], line: 0, code };
    expect(compileBlocks(new Map([[file, block]]))).toBe('');
  });
});

// The README that `init` copies beside each template is what a merchant pastes from next.
describe.each(['express', 'fastify', 'hono'])('TypeScript code blocks in templates/%s/SIGLUME-README.md', (template) => {
  it('compile next to the files `init` copies with it', () => {
    requireDist();
    const dir = join(work, `template-${template}`);
    mkdirSync(dir, { recursive: true });
    for (const from of [`templates/${template}`, 'templates/shared', 'templates/store/postgres']) {
      for (const name of readdirSync(join(root, from)).filter((n) => n.endsWith('.ts'))) copyFileSync(join(root, from, name), join(dir, name));
    }
    const blocks = scanMarkdown(join(root, 'templates', template, 'SIGLUME-README.md')).blocks.filter(
      (b) => TS_LANGS.has(b.lang) && !b.attributes.includes('fragment'),
    );
    expect(blocks.length).toBeGreaterThan(0);
    const origin = new Map<string, CodeBlock>();
    blocks.forEach((block, i) => {
      const name = join(dir, `readme-${i}.ts`);
      writeFileSync(name, `${block.code}\n`);
      origin.set(name, block);
    });
    expect(compileBlocks(origin)).toBe('');
  });
});

/** Every Markdown file a merchant copies code from: README.md, docs/ (not the generated API pages), the templates' and examples' READMEs. */
function snippetDocuments(): string[] {
  const under = (dir: string) => markdownFilesUnder(join(root, dir)).filter((f) => !f.includes(`${sep}node_modules${sep}`));
  return [...documents(), ...under('templates'), ...under('examples')];
}

// `res.send(string)` answers text/html in Express: a value from the URL in it runs as script on the shop's origin.
const EXPRESS_SEND = /\bres((?:\.\w+\([^()]*\))*)\.send\(\s*`([^`]*)`/g;
const REQUEST_INPUT = /\$\{[^}]*\breq\.(query|params|body|headers|cookies|get\(|originalUrl|url)/;
const PLAIN_TEXT = /\.type\(\s*['"]text(\/plain)?['"]\s*\)/;

describe('pages in the docs that show request input', () => {
  it('answer it as text/plain in Express (res.send of a string is HTML), and never through Hono c.html', () => {
    const echoes: string[] = [];
    const unsafe: string[] = [];
    for (const file of snippetDocuments()) {
      for (const block of scanMarkdown(file).blocks.filter((b) => ['ts', 'typescript', 'js', 'javascript', 'tsx', 'jsx'].includes(b.lang))) {
        for (const m of block.code.matchAll(EXPRESS_SEND)) {
          if (!REQUEST_INPUT.test(m[2]!)) continue;
          const where = `${repoPath(file)}:${block.line + block.code.slice(0, m.index).split('\n').length - 1}`;
          echoes.push(where);
          if (!PLAIN_TEXT.test(m[1]!)) unsafe.push(`${where}: ${m[0]}`);
        }
        for (const m of block.code.matchAll(/\bc\.html\([^;]*\bc\.req\./g)) unsafe.push(`${repoPath(file)}:${block.line}: ${m[0]}`);
      }
    }
    // The pages in the docs read the order through siglumeSuccessPage, so none echoes request input now; the scan
    // itself must still see such a snippet, or this test could never fail.
    const probe = "res.type('html').send(`Order ${req.query.order_id}`);";
    expect([...probe.matchAll(EXPRESS_SEND)].filter((m) => REQUEST_INPUT.test(m[2]!) && !PLAIN_TEXT.test(m[1]!))).toHaveLength(1);
    expect(echoes, 'pages that echo request input').toEqual([]);
    expect(unsafe, 'snippets that echo request input as HTML: use res.type(\'text/plain\').send(...) or escape it').toEqual([]);
  });
});

describe('the page snippet payWithSiglume of the quickstart, run', () => {
  type Answer = { status: number; body?: string; type?: string };
  let payWithSiglume: (orderId: string) => Promise<void>;
  let answers: Answer[];
  let assign: ReturnType<typeof vi.fn>;
  let fetches: number;

  beforeAll(async () => {
    const block = scanMarkdown(join(root, 'docs/quickstart-10-minutes.md')).blocks.find((b) => b.code.includes('export async function payWithSiglume'));
    expect(block).toBeDefined();
    const js = ts.transpileModule(block!.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(work, 'pay-with-siglume.mjs');
    writeFileSync(file, js);
    ({ payWithSiglume } = (await import(pathToFileURL(file).href)) as { payWithSiglume: typeof payWithSiglume });
  });

  beforeEach(() => {
    answers = [];
    fetches = 0;
    assign = vi.fn();
    vi.stubGlobal('window', { location: { assign } });
    vi.stubGlobal('fetch', async () => {
      const a = answers[Math.min(fetches++, answers.length - 1)]!;
      return new Response(a.body ?? null, { status: a.status, headers: a.type ? { 'content-type': a.type } : {} });
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body), type: 'application/json; charset=utf-8' });

  it('follows the redirect', async () => {
    answers = [json(200, { checkout_url: 'http://127.0.0.1:1/pay/cs_1', session_id: 'cs_1' })];
    await payWithSiglume('o1');
    expect(assign).toHaveBeenCalledWith('http://127.0.0.1:1/pay/cs_1');
  });

  it('reports the status of an answer that is not JSON (an empty 500, a proxy\'s HTML page), not a JSON parse error', async () => {
    answers = [{ status: 500 }];
    await expect(payWithSiglume('o1')).rejects.toThrow('checkout failed (500)');
    answers = [{ status: 502, body: '<html>Bad Gateway</html>', type: 'text/html' }];
    await expect(payWithSiglume('o1')).rejects.toThrow('checkout failed (502)');
    answers = [json(409, { error: 'order_not_payable' })];
    await expect(payWithSiglume('o1')).rejects.toThrow('order_not_payable');
    expect(assign).not.toHaveBeenCalled();
  });

  it('waits and asks again while another click creates the session (202), a bounded number of times', async () => {
    answers = [json(202, { status: 'creating', retry_after_ms: 5 }), json(202, { status: 'creating', retry_after_ms: 5 }), json(200, { checkout_url: 'http://127.0.0.1:1/pay/cs_2', session_id: 'cs_2' })];
    await payWithSiglume('o1');
    expect(fetches).toBe(3);
    expect(assign).toHaveBeenCalledWith('http://127.0.0.1:1/pay/cs_2');

    answers = [json(202, { status: 'creating', retry_after_ms: 5 })];
    fetches = 0;
    await expect(payWithSiglume('o1')).rejects.toThrow(/still being created/);
    expect(fetches).toBe(4);
  });
});
