/**
 * Which strings the order core stores and looks up. Ids come from the browser
 * (order ids) and from events (event, requirement, batch ids, challenge
 * hashes); one rule keeps every one of them storable in every database.
 */

/** Longest id (event id, requirement id, challenge hash, ...) the core stores. */
export const ORDER_MAX_ID_LENGTH = 256;

/**
 * True for a string the core may store and look up: 1-256 characters, no
 * control characters (U+0000 alone makes PostgreSQL refuse the row, which
 * would turn one odd event into a redelivery loop).
 */
export function isStorableId(value: unknown): value is string {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length > 0 && value.length <= ORDER_MAX_ID_LENGTH && !/[\u0000-\u001f\u007f]/.test(value);
}
