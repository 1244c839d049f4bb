/**
 * "Did you mean" for an unknown option or field name. Plain string rules, no
 * zod, so the webhook path can use it too.
 */

// The camelCase spelling's snake_case form: `baseUrl` -> `base_url`, `error503Rate` -> `error_503_rate`.
function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([a-zA-Z])([0-9])/g, '$1_$2').toLowerCase();
}

/**
 * The known key `unknown` most likely stands for, or undefined: its new name
 * when `renamed` lists it; else its snake_case form when that is known
 * (`baseUrl` -> `base_url`); else the one known key it is the first word(s)
 * of (`tolerance` -> `tolerance_seconds`, `amount` -> `amount_minor`).
 */
export function suggestKey(
  unknown: string,
  known: readonly string[],
  renamed: Readonly<Record<string, string>> = {},
): string | undefined {
  if (Object.prototype.hasOwnProperty.call(renamed, unknown)) return renamed[unknown];
  const snake = snakeCase(unknown);
  if (snake !== unknown && known.includes(snake)) return snake;
  const longer = known.filter((k) => k.startsWith(`${snake}_`));
  return longer.length === 1 ? longer[0] : undefined;
}
