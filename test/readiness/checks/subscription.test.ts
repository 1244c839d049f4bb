import { describe, expect, it } from 'vitest';
import { secretMatchesHint } from '../../../src/readiness/checks/subscription.js';

describe('secretMatchesHint', () => {
  const secret = 'whsec_0123456789abcdef';

  describe('when the hint is a plain suffix', () => {
    it('matches the secret it ends', () => {
      expect(secretMatchesHint(secret, 'cdef')).toBe(true);
    });
    it('rejects a different suffix', () => {
      expect(secretMatchesHint(secret, 'cdeX')).toBe(false);
    });
  });

  describe('when the hint is masked in the middle', () => {
    it.each(['whsec_…cdef', 'whsec_...cdef', 'whsec_****cdef'])('matches %s', (hint) => {
      expect(secretMatchesHint(secret, hint)).toBe(true);
    });
    it('rejects a hint whose visible prefix differs', () => {
      expect(secretMatchesHint(secret, 'whsex_…cdef')).toBe(false);
    });
  });
});
