import { describe, expect, it } from 'vitest';
import { escapeHtml, formatAmount } from '../../src/sandbox/hosted-page.js';
import { fromMilli, toMilli } from '../../src/core/decimal.js';
import { sumDecimal } from '../../src/sandbox/metered.js';

describe('formatAmount', () => {
  it.each([
    [4200, 'JPY', '¥4,200'],
    [1, 'JPY', '¥1'],
    [1234, 'USD', '$12.34'],
    [5, 'USD', '$0.05'],
    [100, 'USD', '$1.00'],
    [Number.MAX_SAFE_INTEGER, 'USD', '$90,071,992,547,409.91'],
  ])('formats %s %s as %s', (amount, currency, expected) => {
    expect(formatAmount(amount, currency)).toBe(expected);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('decimal statement amounts', () => {
  it('sums sub-minor fees exactly', () => {
    expect(sumDecimal(['0.2', '0.2', '0.2'])).toBe('0.6');
    expect(sumDecimal(['2', '0.2', '29.8'])).toBe('32');
    expect(sumDecimal([])).toBe('0');
    expect(fromMilli(toMilli('17.001') - toMilli('0.001'))).toBe('17');
  });
});
