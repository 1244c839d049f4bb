/**
 * Copies a shipped copy-in template into a merchant's project: the
 * framework's wiring (`templates/<name>/`), the shared configuration
 * (`templates/shared/`), the store of the chosen database
 * (`templates/store/<database>/`) and its schema files
 * (`templates/schema/<database>/`). Behind `siglume-sdrp init <name>`.
 *
 * Safe by default: when any file would be overwritten, nothing is written and
 * the conflicts are returned, unless `force` is set. It never writes through a
 * symbolic link below the target, even with `force`.
 */
import { constants, existsSync, statSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { SiglumeDirectRequestPaymentError, SiglumeValidationError, ownErrorClasses } from '../core/errors.js';
import { PACKAGE_NAME, packageDir } from './package-dir.js';

/** Templates this package ships. */
export const SHIPPED_TEMPLATES = Object.freeze(['express', 'fastify', 'hono', 'nextjs'] as const);

/** Templates announced but not shipped yet. */
export const PLANNED_TEMPLATES = Object.freeze(['fastapi'] as const);

/** Name of a shipped template. */
export type TemplateName = (typeof SHIPPED_TEMPLATES)[number];

/** Databases `init` can set up: a store (`templates/store/<database>/`) and a schema (`templates/schema/<database>/`). */
export const SHIPPED_DATABASES = Object.freeze(['postgres', 'mysql', 'sqlite'] as const);

const DATABASE_ALIASES: Readonly<Record<string, TemplateDatabase>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  pg: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlite: 'sqlite',
  sqlite3: 'sqlite',
};

/** Name of a database with a shipped schema. */
export type TemplateDatabase = (typeof SHIPPED_DATABASES)[number];

/** Options of {@link copyTemplate}. */
export interface CopyTemplateOptions {
  /** Template to copy. */
  template: TemplateName;
  /** Directory to copy into (created when missing). */
  target: string;
  /**
   * Database of the shop: its `siglume-store.ts` (the order store over your
   * driver) and its schema files, `siglume-payments.<database>.sql` (the
   * package's payment tables) and `orders.<database>.sql` (a sample orders
   * table for a shop without one), are copied next to the template.
   * @default 'postgres'
   */
  database?: TemplateDatabase;
  /**
   * Overwrite existing files.
   * @default false
   */
  force?: boolean;
  /** Directory holding the templates; defaults to the installed package's `templates/`. */
  templates_dir?: string;
  /**
   * Directory a suggested target is shown relative to in an error message
   * (the CLI's working directory, so it can say `--target src`).
   * @default absolute paths
   */
  shown_from?: string;
}

/** One file of a finished copy, path relative to the target with `/` separators. */
export interface CopiedTemplateFile {
  path: string;
  action: 'created' | 'overwritten';
}

/** Result of {@link copyTemplate}, tagged by `kind`. */
export type CopyTemplateResult =
  | {
      kind: 'copied';
      template: TemplateName;
      database: TemplateDatabase;
      /** Absolute target directory. */
      target: string;
      files: CopiedTemplateFile[];
      /** What to do next, one step per line. */
      next_steps: string[];
    }
  | {
      kind: 'conflicts';
      template: TemplateName;
      target: string;
      /** Files that already exist (relative paths); nothing was written. */
      conflicts: string[];
    };

/** What an OS error code means, in words; a code not listed keeps the words of Node's own message. */
const WRITE_FAILURE_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a file stands where a directory is needed',
  EEXIST: 'a file appeared there while copying',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
};

function writeFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && Object.hasOwn(WRITE_FAILURE_REASONS, code)) return WRITE_FAILURE_REASONS[code]!;
  const message = error instanceof Error ? error.message : String(error);
  // Node's "ENAMETOOLONG: name too long, open '...'": the words between the code and the paths.
  return /^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

/**
 * A file of the template could not be written (permission, a directory in
 * the way, a full disk). The files before it were written and stay; the
 * message names the file, the reason in words, what was written and what
 * was not, so the merchant can clean up or fix the cause and re-run with
 * `--force`. The OS error is the `cause`.
 */
export class TemplateWriteError extends SiglumeDirectRequestPaymentError {
  /** Absolute target directory. */
  readonly target: string;
  /** The file that failed, relative to the target. */
  readonly path: string;
  /** The reason in words, e.g. `permission denied`. */
  readonly reason: string;
  /** Files written before the failure (they stay). */
  readonly written: CopiedTemplateFile[];
  /** Files not written: the one that failed and the ones after it. */
  readonly not_written: string[];

  constructor(target: string, path: string, cause: unknown, written: CopiedTemplateFile[], notWritten: string[]) {
    const reason = writeFailureReason(cause);
    const list = (files: string[]) => files.map((f) => `\n    ${f}`).join('');
    super(
      `Could not write ${path}: ${reason} (in ${target}).\n` +
        `Already written (${written.length}):${written.length === 0 ? ' none' : list(written.map((f) => `${f.path}${f.action === 'overwritten' ? ' (overwritten)' : ''}`))}\n` +
        `Not written (${notWritten.length}):${list(notWritten)}\n` +
        'Fix the cause and re-run with --force to write them all, or remove the files already written.',
      { code: 'TEMPLATE_WRITE_FAILED', cause },
    );
    this.target = target;
    this.path = path;
    this.reason = reason;
    this.written = written;
    this.not_written = notWritten;
  }
}

ownErrorClasses({ TemplateWriteError });

/** The installed package's `templates/` directory. */
export function defaultTemplatesDir(): string {
  const root = packageDir();
  if (root !== null) return join(root, 'templates');
  throw new SiglumeDirectRequestPaymentError(`Could not find the templates directory of ${PACKAGE_NAME}; reinstall the package.`, {
    code: 'TEMPLATES_NOT_FOUND',
  });
}

/** A file to copy: where it comes from, and its path relative to the target. */
interface PlannedFile {
  source: string;
  path: string;
  /** Drop the `.js` suffix of its relative imports (see {@link BUNDLER_IMPORTS}). */
  extensionless?: boolean;
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, full)));
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
  return out;
}

/**
 * Throws when a path component of a planned file below the target (one of
 * its directories, or the file itself) is a symbolic link: writing there
 * would land wherever the link points, possibly outside the target. Uses
 * `lstat` only, so no link is followed. The target itself may be a link;
 * pointing `--target` at one is the user's explicit choice.
 */
async function refuseSymbolicLinks(target: string, planned: PlannedFile[]): Promise<void> {
  const checked = new Set<string>();
  for (const file of planned) {
    const parts = file.path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (checked.has(path)) continue;
      checked.add(path);
      const info = await lstat(join(target, path)).catch(() => null);
      // Nothing below a missing entry exists.
      if (info === null) break;
      if (info.isSymbolicLink()) {
        throw new SiglumeValidationError(
          'target',
          `Refusing to write through the symbolic link ${path} in ${target}: init writes only regular files inside the target. ` +
            'Remove the link, or choose another target.',
          { code: 'TEMPLATE_TARGET_SYMLINK' },
        );
      }
    }
  }
}

/**
 * Where the shared files (config, store, schema) go, relative to the target:
 * next to the wiring, except for Next.js, whose routes live under app/.
 *
 * One rule for every template's guide: it is `SIGLUME-README.md`, beside
 * siglume-config.ts (whose errors point there). The default target is the
 * project itself, which almost always has a README.md of its own; a copy
 * named README.md was a conflict in nearly every project, and `--force`, the
 * way out the conflict message offers, would have overwritten the merchant's
 * README. Next.js's guide is renamed too, though siglume/ kept it apart, so
 * the name does not depend on the template.
 */
const SUPPORT_DIR: Record<TemplateName, string> = { express: '', fastify: '', hono: '', nextjs: 'siglume/' };

/**
 * Templates whose copied TypeScript imports its neighbours without a suffix
 * (`'./siglume-store'`, not `'./siglume-store.js'`). A create-next-app project
 * says `"moduleResolution": "bundler"`, and Turbopack (`next dev`'s default)
 * does not map an import of `x.js` to the file `x.ts`: the routes answered 500
 * with "Module not found". Bundler resolution needs no suffix, so the Next.js
 * template's own files are written without one; the shared config and the
 * store keep theirs in templates/ (the Express, Fastify and Hono copies run
 * under NodeNext, which requires it) and lose it while being copied here.
 * One rewrite at copy time instead of a second copy of those files that
 * would have to be kept in step by hand.
 */
const BUNDLER_IMPORTS: ReadonlySet<TemplateName> = new Set<TemplateName>(['nextjs']);

/** A relative specifier ending in `.js` in `from '...'` or `import('...')`: the suffix is group 2. */
const RELATIVE_JS_SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.js\2/g;

/** `source` with the `.js` suffix of its relative imports dropped, for bundler resolution. */
function dropRelativeJsSuffixes(source: string): string {
  return source.replace(RELATIVE_JS_SPECIFIER, (_match, lead: string, quote: string, path: string) => `${lead}${quote}${path}${quote}`);
}

/**
 * Throws when the Next.js template would land where Next.js does not serve it.
 * Next.js looks for `app/` and `pages/` in the project and only when neither
 * is there in `src/` (its findPagesDir). Copying into a create-next-app
 * `--src-dir` project (routes in `src/app`) with the default target wrote a
 * root `app/`, which Next.js then served instead of `src/app`: the shop's
 * whole site disappeared (with `src/pages`, the build failed). Copying into
 * `src` of a project whose routes are at its root wrote `src/app`, which
 * Next.js never serves. Only the project directory and `src` below it are
 * judged; any other target is the merchant's own layout.
 */
function refuseUnservedNextRoutes(target: string, shownFrom: string | undefined): void {
  const routesIn = (dir: string) => ['app', 'pages'].find((name) => existsSync(join(dir, name)));
  const show = (dir: string) => (shownFrom === undefined ? dir : relative(shownFrom, dir) || '.');
  let routes: string | undefined;
  let suggested: string | undefined;
  const atRoot = routesIn(target);
  const inSrc = routesIn(join(target, 'src'));
  if (atRoot === undefined && inSrc !== undefined) {
    routes = `src/${inSrc}`;
    suggested = join(target, 'src');
  } else if (basename(target) === 'src') {
    const above = routesIn(dirname(target));
    if (above !== undefined) {
      routes = `${above}/ at its root`;
      suggested = dirname(target);
    }
  }
  if (routes !== undefined && suggested !== undefined) {
    throw new SiglumeValidationError(
      'target',
      `This project keeps its routes in ${routes}, the only place Next.js serves them from: run with --target ${show(suggested)}`,
      { code: 'TEMPLATE_TARGET_NOT_SERVED' },
    );
  }
}

const FRAMEWORK_PACKAGES: Record<TemplateName, { install: string[]; dev: string[] }> = {
  express: { install: ['express'], dev: ['tsx', '@types/express'] },
  fastify: { install: ['fastify'], dev: ['tsx'] },
  hono: { install: ['hono', '@hono/node-server'], dev: ['tsx'] },
  nextjs: { install: [], dev: [] },
};

const DRIVER_PACKAGES: Record<TemplateDatabase, { install: string[]; dev: string[] }> = {
  postgres: { install: ['pg'], dev: ['@types/pg'] },
  mysql: { install: ['mysql2'], dev: [] },
  sqlite: { install: ['better-sqlite3@12'], dev: ['@types/better-sqlite3'] },
};

function createTables(database: TemplateDatabase, file: (name: string) => string): string[] {
  switch (database) {
    case 'postgres':
      return [
        `Create the payment tables (all or nothing): psql "$DATABASE_URL" -f ${file('siglume-payments.postgres.sql')}`,
        `No orders table yet? psql "$DATABASE_URL" -f ${file('orders.postgres.sql')}; else map yours in siglume-store.ts (orders: {...})`,
      ];
    case 'mysql':
      return [
        `Create the payment tables (all or nothing): mysql -h HOST -u USER -p DATABASE < ${file('siglume-payments.mysql.sql')}`,
        `No orders table yet? mysql -h HOST -u USER -p DATABASE < ${file('orders.mysql.sql')}; else map yours in siglume-store.ts (orders: {...})`,
      ];
    case 'sqlite':
      return [
        `Create the payment tables (all or nothing): sqlite3 "$SQLITE_PATH" < ${file('siglume-payments.sqlite.sql')}`,
        `No orders table yet? sqlite3 "$SQLITE_PATH" < ${file('orders.sqlite.sql')}; else map yours in siglume-store.ts (orders: {...})`,
      ];
    default: {
      const unexpected: never = database;
      throw new Error(`unexpected database ${String(unexpected)}`);
    }
  }
}

const MOUNT: Record<TemplateName, string> = {
  // startSiglumeCheckout also checks the tables at boot: a misspelt mapped column stops the server, not the first buyer.
  express:
    'Mount it before express.json(): app.use(siglumeCheckoutRouter(await startSiglumeCheckout(), (req) => yourUser(req)))',
  fastify:
    'Register it: await app.register(siglumeCheckoutPlugin(await startSiglumeCheckout(), (request) => yourUser(request)))',
  hono: "Mount it: app.route('/', siglumeCheckoutRoutes(await startSiglumeCheckout(), (c) => yourUser(c)))",
  // Paths below the target: nextSteps names them from the target given (src/siglume/... after --target src).
  nextjs:
    'Edit currentUser() in {siglume}siglume-checkout.ts to read your session; the routes under {app}payments/ are mounted by Next.js ' +
    "(imports without .js, for create-next-app's moduleResolution bundler; on nodenext add .js, see {siglume}SIGLUME-README.md)",
};

/**
 * `path` as one POSIX shell word: as it is when it holds only characters no shell treats specially, else in single
 * quotes (a `'` inside written `'\''`). A project in `~/My Shop` gets commands that can be pasted as they are.
 */
function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

function nextSteps(template: TemplateName, database: TemplateDatabase, target: string): string[] {
  const packages = [...FRAMEWORK_PACKAGES[template].install, ...DRIVER_PACKAGES[database].install];
  const dev = [...new Set(['typescript', ...FRAMEWORK_PACKAGES[template].dev, '@types/node', ...DRIVER_PACKAGES[database].dev])];
  const file = (name: string) => shellQuote(join(target, SUPPORT_DIR[template], name));
  return [
    `npm install ${[PACKAGE_NAME, ...packages].join(' ')} && npm install -D ${dev.join(' ')}`,
    ...createTables(database, file),
    // `{siglume}siglume-checkout.ts`: the whole path quoted as one word, the directory's part with the file's.
    MOUNT[template].replace(/\{(siglume|app)\}([\w./-]*)/g, (_, dir: string, rest: string) => shellQuote(`${join(target, dir)}/${rest}`)),
    template === 'nextjs'
      ? 'With the routes mounted, check the setup: npx siglume-check verify (or readiness --sandbox against the local sandbox); with the settings in .env.local beside a .env, add --dotenv .env.local'
      : 'With the routes mounted, check the setup: npx siglume-check verify (or readiness --sandbox against the local sandbox)',
  ];
}

/**
 * Copies every file of `templates/<template>/` into `target`, keeping the
 * relative layout. Existing files are conflicts: without `force`, nothing is
 * written and `{ kind: 'conflicts' }` lists them.
 *
 * Nothing is ever written through a symbolic link: when any existing path
 * below the target (a directory on the way, or a file's own path) is a link,
 * nothing is written and a {@link SiglumeValidationError} with code
 * `TEMPLATE_TARGET_SYMLINK` is thrown, with or without `force`. The target
 * directory itself may be a link.
 *
 * @throws {SiglumeValidationError} for an unknown or unshipped template, a target that is a file, a symbolic link
 *   below the target (code `TEMPLATE_TARGET_SYMLINK`, field `target`), or a Next.js target Next.js would not serve
 *   (code `TEMPLATE_TARGET_NOT_SERVED`: a project with its routes in `src/app` or `src/pages` and none at its root,
 *   or `src` of a project whose `app/` or `pages/` is at its root).
 * @throws {TemplateWriteError} when a file cannot be written (code `TEMPLATE_WRITE_FAILED`); the files before it stay
 *   written, and the error lists them.
 * @example
 * const result = await copyTemplate({ template: 'hono', database: 'sqlite', target: './src/payments' });
 * if (result.kind === 'conflicts') console.log('exists:', result.conflicts);
 */
export async function copyTemplate(options: CopyTemplateOptions): Promise<CopyTemplateResult> {
  const template = options.template as string;
  if ((PLANNED_TEMPLATES as readonly string[]).includes(template)) {
    throw new SiglumeValidationError(
      'template',
      `The ${template === 'fastapi' ? 'FastAPI' : template} template is not shipped yet; available: ${SHIPPED_TEMPLATES.join(', ')}.`,
      { code: 'TEMPLATE_NOT_SHIPPED' },
    );
  }
  if (!(SHIPPED_TEMPLATES as readonly string[]).includes(template)) {
    throw new SiglumeValidationError('template', `Unknown template "${template}"; available: ${SHIPPED_TEMPLATES.join(', ')}.`);
  }
  const name = template as TemplateName;
  const given = (options.database ?? 'postgres') as string;
  // The other names people call them by (`--database postgresql`, `mariadb`): the same templates.
  const database = Object.hasOwn(DATABASE_ALIASES, given.toLowerCase()) ? DATABASE_ALIASES[given.toLowerCase()]! : given;
  if (!(SHIPPED_DATABASES as readonly string[]).includes(database)) {
    throw new SiglumeValidationError('database', `Unknown database "${database}"; available: ${SHIPPED_DATABASES.join(', ')}.`);
  }
  const db = database as TemplateDatabase;
  const templatesDir = options.templates_dir ?? defaultTemplatesDir();
  const source = join(templatesDir, name);
  if (!existsSync(source) || !statSync(source).isDirectory()) {
    throw new SiglumeDirectRequestPaymentError(`The ${name} template is missing from ${source}; reinstall the package.`, {
      code: 'TEMPLATES_NOT_FOUND',
    });
  }
  const target = resolve(options.target);
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new SiglumeValidationError('target', `Invalid target: ${target} is a file, not a directory`);
  }
  if (name === 'nextjs') refuseUnservedNextRoutes(target, options.shown_from);
  const planned: PlannedFile[] = (await listFiles(source)).map((f) => ({ source: join(source, f), path: f }));
  const support = SUPPORT_DIR[name];
  // The configuration every framework shares, and the store of the chosen database.
  for (const dir of [join(templatesDir, 'shared'), join(templatesDir, 'store', db)]) {
    if (existsSync(dir)) {
      for (const f of await listFiles(dir)) {
        planned.push({ source: join(dir, f), path: `${support}${f}`, extensionless: BUNDLER_IMPORTS.has(name) && f.endsWith('.ts') });
      }
    }
  }
  // The schema of the chosen database, named by dialect so several can sit side by side.
  const schemaDir = join(templatesDir, 'schema', db);
  if (existsSync(schemaDir)) {
    for (const f of await listFiles(schemaDir)) planned.push({ source: join(schemaDir, f), path: `${support}${f.replace(/\.sql$/, `.${db}.sql`)}` });
  }
  await refuseSymbolicLinks(target, planned);
  const existing = new Set<string>();
  for (const file of planned) {
    // Any entry in the way (file or directory) counts; a directory cannot be overwritten with a file. lstat, so this check never follows a link on its own either.
    const info = await lstat(join(target, file.path)).catch(() => null);
    if (info) existing.add(file.path);
  }
  if (existing.size > 0 && !options.force) {
    return { kind: 'conflicts', template: name, target, conflicts: planned.map((f) => f.path).filter((f) => existing.has(f)) };
  }
  const copied: CopiedTemplateFile[] = [];
  for (const [index, file] of planned.entries()) {
    const dest = join(target, file.path);
    try {
      await mkdir(dirname(dest), { recursive: true });
      // A new file is created exclusively: a link or file that appeared since the check fails the copy instead of being written through.
      if (file.extensionless) {
        await writeFile(dest, dropRelativeJsSuffixes(await readFile(file.source, 'utf8')), { flag: existing.has(file.path) ? 'w' : 'wx' });
      } else {
        await copyFile(file.source, dest, existing.has(file.path) ? 0 : constants.COPYFILE_EXCL);
      }
    } catch (error) {
      throw new TemplateWriteError(target, file.path, error, copied, planned.slice(index).map((f) => f.path));
    }
    copied.push({ path: file.path, action: existing.has(file.path) ? 'overwritten' : 'created' });
  }
  return { kind: 'copied', template: name, database: db, target, files: copied, next_steps: nextSteps(name, db, options.target) };
}
