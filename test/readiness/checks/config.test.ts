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
    // What a parser skips: a leading space or tab (a stray one in .env), a tab or newline inside.
    [' https://u:secretpw@shop.example', 'https://***@shop.example'],
    ['\thttps://u:secretpw@shop.example', 'https://***@shop.example'],
    ['https://u:sec\tretpw@shop.example', 'https://***@shop.example'],
    // "#" or "?" in a password: no parser accepts it, or it reads a port and a fragment holding the rest.
    ['https://u:pa#ss@shop.example', 'https://***@shop.example'],
    ['https://u:pa?ss@shop.example/wh', 'https://***@shop.example/wh'],
    ['https://u:1234#secret@shop.example/wh', 'https://***@shop.example/wh'],
    ['HTTP://U:P4SS@HOST', 'HTTP://***@HOST'],
    // A password read as a port and a path, a second scheme, a backslash, a username alone with a "/".
    ['https://shopuser:2024/pw@shop.example', 'https://***@shop.example'],
    ['https://https://u:pw@shop.example/wh', 'https://***@shop.example/wh'],
    ['https://u:1234\\secret@host', 'https://***@host'],
    ['https://dXNl/abc+def=@shop.example/wh', 'https://***@shop.example/wh'],
    ['htps://me:p@ss\\word@shop.example', 'htps://***@shop.example'],
    // Nothing to tell a credential from: all up to the last "@" goes, a path's "@" too.
    ['not a url @ all', '***@ all'],
    ['https://shop.example/a@b', 'https://***@b'],
  ])('hides the credentials of %s', (raw, masked) => {
    expect(maskUrlCredentials(raw)).toBe(masked);
  });

  it.each(['https://shop.example', 'not a url', ' https://shop.example/x', 'https://[::1]:3000/wh'])('leaves %s, which has none, as it is', (raw) => {
    expect(maskUrlCredentials(raw)).toBe(raw);
  });
});
