import { readFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeIdentifier, normalizePhone, orderIdCandidates } from '../../../src/api/orders/search-terms.js';

const CONSOLE_TERMS = path.resolve(import.meta.dirname, '../../../dashboards/console/search-terms.js');

/** A Chinese mobile number as stored by the CRM: 11 digits starting with 1. */
const mobile = fc.tuple(fc.constantFrom('3', '5', '7', '8', '9'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 9, maxLength: 9 })).map(([second, rest]) => `1${second}${rest}`);

/** The same digits as a person might write them: grouped, separated, with or without +86. */
const formatted = (digits: string) =>
  fc
    .record({
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: digits.length - 1 }), { maxLength: 4 }),
      separators: fc.array(fc.constantFrom(' ', '-', '.', ' - ', '  ', '\t', '\u00a0', '\u3000'), { minLength: 4, maxLength: 4 }),
      prefix: fc.constantFrom('', '+86', '+86 ', '+86-', '0086 ', '0086', '(+86) ', '+86 (', ' '),
      parenthesized: fc.boolean(),
      suffix: fc.constantFrom('', ' ', '\n'),
    })
    .map(({ cuts, separators, prefix, parenthesized, suffix }) => {
      const bounds = [0, ...cuts.sort((a, b) => a - b), digits.length];
      const groups = bounds.slice(1).map((end, i) => digits.slice(bounds[i], end));
      if (parenthesized) groups[0] = `(${groups[0]})`;
      return prefix + groups.map((g, i) => (i === 0 ? g : separators[i - 1]! + g)).join('') + suffix;
    });

const asciiId = fc.string({ unit: fc.constantFrom(...'abcxyzABCXYZ0189-_'), minLength: 1, maxLength: 16 });

describe('search terms', () => {
  describe('normalizePhone', () => {
    it('brings every formatting of a mobile number to its 11 digits (property)', () => {
      fc.assert(fc.property(mobile.chain((digits) => fc.tuple(fc.constant(digits), formatted(digits))), ([digits, typed]) => {
        expect(normalizePhone(typed)).toBe(digits);
      }));
    });

    it('is idempotent on any text (property)', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary' }), (typed) => {
        expect(normalizePhone(normalizePhone(typed))).toBe(normalizePhone(typed));
      }));
      expect(normalizePhone('+86+86 155 2439 1640')).toBe('15524391640');
    });

    it('keeps digits that carry no country code as they are (property)', () => {
      fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789') }).filter((d) => !d.startsWith('0086')), (digits) => {
        expect(normalizePhone(digits)).toBe(digits);
      }));
    });

    it('handles the formats agents type', () => {
      for (const typed of ['+86 155 2439 1640', '155-2439-1640', '(155) 2439.1640', '0086 155 2439 1640', '+86-155-2439-1640', ' 15524391640 ', '+86 (155) 2439 1640']) {
        expect(normalizePhone(typed), typed).toBe('15524391640');
      }
      // Only a leading country code goes: a number that merely contains 86 or 0086 keeps it.
      expect(normalizePhone('021-8600-0086')).toBe('02186000086');
      expect(normalizePhone('---')).toBe('');
      expect(normalizePhone('+86')).toBe('');
    });
  });

  describe('normalizeIdentifier', () => {
    it('ignores ASCII case and surrounding whitespace (property)', () => {
      fc.assert(fc.property(asciiId, fc.constantFrom('', ' ', '\t', '  \n', '\u3000'), fc.constantFrom('', ' ', '\r\n'), (id, before, after) => {
        const want = normalizeIdentifier(id);
        expect(normalizeIdentifier(id.toLowerCase())).toBe(want);
        expect(normalizeIdentifier(id.toUpperCase())).toBe(want);
        expect(normalizeIdentifier(`${before}${id}${after}`)).toBe(want);
        expect(want).toBe(id.toUpperCase());
      }));
    });

    it('is idempotent on any text, and folds only ASCII letters as ClickHouse upper() does (property)', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary' }), (typed) => {
        const once = normalizeIdentifier(typed);
        expect(normalizeIdentifier(once)).toBe(once);
        expect(once.length).toBe(typed.trim().length);
      }));
      expect(normalizeIdentifier(' so-000725 ')).toBe('SO-000725');
      expect(normalizeIdentifier('yto4018777113')).toBe('YTO4018777113');
      expect(normalizeIdentifier('ff-000001-1')).toBe('FF-000001-1');
      expect(normalizeIdentifier('straße-é')).toBe('STRAßE-é');
    });
  });

  describe('orderIdCandidates', () => {
    it('tries the id exactly as given first, then trimmed, then upper case, each once (property)', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1 }).filter((s) => s.trim() !== ''), (typed) => {
        const candidates = orderIdCandidates(typed);
        expect(candidates[0]).toBe(typed);
        expect(candidates).toContain(normalizeIdentifier(typed));
        expect(new Set(candidates).size).toBe(candidates.length);
        expect(candidates.every((c) => c !== '')).toBe(true);
      }));
      expect(orderIdCandidates(' so-000725 ')).toEqual([' so-000725 ', 'so-000725', 'SO-000725']);
      expect(orderIdCandidates('SO-000725')).toEqual(['SO-000725']);
      expect(orderIdCandidates('   ')).toEqual(['   ']);
    });
  });

  describe('the console copy (dashboards/console/search-terms.js)', () => {
    let consoleTerms: { normalizePhone(s: string): string; normalizeIdentifier(s: string): string; looksLikePhone(s: string): boolean };

    beforeAll(async () => {
      const sandbox: { orderlakeSearchTerms?: typeof consoleTerms } = {};
      vm.runInNewContext(await readFile(CONSOLE_TERMS, 'utf8'), sandbox, { filename: CONSOLE_TERMS });
      consoleTerms = sandbox.orderlakeSearchTerms!;
    });

    it('normalizes exactly as the API does (property)', () => {
      const text = fc.oneof(fc.string({ unit: 'binary' }), mobile.chain(formatted), asciiId);
      fc.assert(fc.property(text, (typed) => {
        expect(consoleTerms.normalizePhone(typed)).toBe(normalizePhone(typed));
        expect(consoleTerms.normalizeIdentifier(typed)).toBe(normalizeIdentifier(typed));
      }));
    });

    it('takes formatted phones for phones, and ids and tracking numbers for identifiers', () => {
      fc.assert(fc.property(mobile.chain(formatted), (typed) => {
        expect(consoleTerms.looksLikePhone(typed)).toBe(true);
      }));
      for (const typed of ['SO-000725', 'so-000725', 'YTO4018777113', 'FF-000001-1', '+86', '12345', '1+1', 'call 15524391640']) {
        expect(consoleTerms.looksLikePhone(typed), typed).toBe(false);
      }
    });
  });
});
