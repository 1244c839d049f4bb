/**
 * The one reading of a readiness `missing_requirements` / `blockers` list,
 * shared by the readiness answer's schema and the 409
 * `HOSTED_CHECKOUT_READINESS_REQUIRED` error. The API does not publish the
 * item shape: a string is kept (trimmed), an object gives its `name` /
 * `code` / `requirement`, else its JSON text; other values and empty items
 * are dropped; a missing or non-array list is empty.
 */
export function requirementNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const item of value) {
    let name: unknown = item;
    if (item !== null && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      name = [o.name, o.code, o.requirement].find((v) => typeof v === 'string') ?? JSON.stringify(item);
    }
    if (typeof name === 'string' && name.trim() !== '') names.push(name.trim());
  }
  return names;
}
