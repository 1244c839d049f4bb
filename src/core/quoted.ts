/**
 * The one rule for a credential kept in quotes: `docker --env-file` and some secret stores keep the quotes of
 * `NAME="value"` as part of the value, and Siglume issues no token or webhook secret that starts or ends with
 * one. The token check (`authTokenProblem`) and the signing-secret checks both use it. No imports: the
 * webhook-only entry loads it.
 */
export function startsOrEndsWithQuote(value: string): boolean {
  return /^["']|["']$/.test(value);
}
