import { describe, expect, it } from 'vitest';
import { maskUrlCredentials } from '../../../src/readiness/checks/config.js';

describe('maskUrlCredentials', () => {
  it.each([
    ['http://u:p4ss@127.0.0.1:3000', 'http://***@127.0.0.1:3000'],
    ['https://user@shop.example/hook', 'https://***@shop.example/hook'],
    // An "@" in the password, and one in the path that is no credential.
    ['https://u:p4@ss@shop.example/a@b', 'https://***@shop.example/a@b'],
    // Parsed as http://u:p4ss@host/ by a URL parser.
    ['http:u:p4ss@host', 'http:***@host'],
    // No parser accepts it (the part after ":" would be the port): everything before the last "@" goes.
    ['http://u:p4/ss@host', 'http://***@host'],
  ])('hides the credentials of %s', (raw, masked) => {
    expect(maskUrlCredentials(raw)).toBe(masked);
  });

  it.each(['https://shop.example', 'https://shop.example/a@b', 'not a url @ all'])('leaves %s, which has none, as it is', (raw) => {
    expect(maskUrlCredentials(raw)).toBe(raw);
  });
});
