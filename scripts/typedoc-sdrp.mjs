// Local TypeDoc plugin for docs/api/ (loaded through typedoc.json).
//
// 1. Names the entry modules `main`, `webhooks`, `testing`, `sandbox`, `orders` and `orders-<store>` (short,
//    stable directory names under docs/api/) and says on each module page
//    which import path it documents.
// 2. Drops "default values" of interface and type-literal properties. The
//    request / response types are zod-derived aliases documented as
//    interfaces (`@interface`),
//    and TypeDoc would otherwise print each property's zod schema variable
//    (`amount_minor: number = positiveSafeIntegerSchema`) as if it were a
//    default. Real defaults are documented with `@default` tags instead.
// 3. Keeps the error class of `@throws {SiglumeWebhookSignatureError} ...`:
//    TypeDoc strips JSDoc type annotations and the markdown theme does not
//    print preserved ones, so the class is moved into the tag's text.
import { Comment, Converter, ReflectionKind } from 'typedoc';

const MODULES = {
  index: {
    name: 'main',
    text: 'The package entry: `import { ... } from \'@siglume/direct-request-payment\'`.',
  },
  webhooks: {
    name: 'webhooks',
    text: 'Only what a webhook route needs, without the clients: `import { ... } from \'@siglume/direct-request-payment/webhooks\'`. The same objects as the package entry exports.',
  },
  testing: {
    name: 'testing',
    text: 'Test helpers for your own webhook tests: `import { ... } from \'@siglume/direct-request-payment/testing\'`.',
  },
  sandbox: {
    name: 'sandbox',
    text: 'The local sandbox (Node only): `import { ... } from \'@siglume/direct-request-payment/sandbox\'`.',
  },
  orders: {
    name: 'orders',
    text: 'Order processing (the merchant rule, the checkout service, the store interface): `import { ... } from \'@siglume/direct-request-payment/orders\'`.',
  },
  'orders/postgres': {
    name: 'orders-postgres',
    text: 'The order store on PostgreSQL through `pg`: `import { ... } from \'@siglume/direct-request-payment/orders/postgres\'`.',
  },
  'orders/mysql': {
    name: 'orders-mysql',
    text: 'The order store on MySQL / MariaDB through `mysql2`: `import { ... } from \'@siglume/direct-request-payment/orders/mysql\'`.',
  },
  'orders/sqlite': {
    name: 'orders-sqlite',
    text: 'The order store on SQLite through `better-sqlite3`: `import { ... } from \'@siglume/direct-request-payment/orders/sqlite\'`.',
  },
  'orders/sql': {
    name: 'orders-sql',
    text: 'The order store in portable SQL, and the generic adapter for any driver or ORM: `import { ... } from \'@siglume/direct-request-payment/orders/sql\'`.',
  },
};

/** @param {import('typedoc').Comment | undefined} comment */
function keepThrowsType(comment) {
  for (const tag of comment?.blockTags ?? []) {
    if (tag.tag !== '@throws' || !tag.typeAnnotation) continue;
    const type = tag.typeAnnotation.replace(/^\{|\}$/g, '').trim();
    tag.content = [{ kind: 'code', text: `\`${type}\`` }, { kind: 'text', text: ': ' }, ...tag.content];
    tag.typeAnnotation = undefined;
  }
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const reflection of project.getReflectionsByKind(ReflectionKind.Module)) {
      const module = MODULES[reflection.name];
      if (!module) continue;
      reflection.name = module.name;
      reflection.comment = new Comment([{ kind: 'text', text: module.text }]);
    }
    for (const reflection of project.getReflectionsByKind(ReflectionKind.Property)) {
      if (!reflection.parent?.kindOf(ReflectionKind.Class)) reflection.defaultValue = undefined;
    }
    for (const reflection of Object.values(project.reflections)) {
      keepThrowsType(reflection.comment);
      for (const signature of reflection.signatures ?? []) keepThrowsType(signature.comment);
    }
  });
}
