/**
 * Wording of an INVALID_RESPONSE_SHAPE error: what the schema expected (zod/mini
 * only says "Invalid input") and the id of what a create route may have made.
 * Values of the answer are never quoted, only their kind, except a short id.
 */
import { redactSecretValues } from './redact.js';

// Longest id quoted in a message: an id is short; anything longer is not one.
const MAX_QUOTED_ID = 128;

/** The id of the object a create route answered with: `id`, else the first top-level `*_id` string. */
export function createdId(data: unknown, secrets: readonly string[]): string | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const record = data as Record<string, unknown>;
  const keys = ['id', ...Object.keys(record).filter((k) => k.endsWith('_id'))];
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) && value.length <= MAX_QUOTED_ID) {
      return redactSecretValues(value, secrets);
    }
  }
  return null;
}

type Issue = { code?: string; message?: string; path: PropertyKey[]; expected?: unknown; values?: unknown };

/** The kind of a value for a message, never the value itself (it may be a secret). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * zod's own message, unless it is the bare "Invalid input" of zod/mini: then
 * what was expected and the kind of what came (not its value).
 */
export function issueText(issue: Issue, data: unknown): string {
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  const got = kindOf(valueAt(data, issue.path));
  if (issue.code === 'invalid_type' && typeof issue.expected === 'string') {
    const expected = `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    return got === 'nothing' ? `is missing (expected ${expected})` : `must be ${expected}, not ${got}`;
  }
  if (issue.code === 'invalid_value' && Array.isArray(issue.values)) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `is invalid (${issue.code ?? 'unknown issue'})`;
}
