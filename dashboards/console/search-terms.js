// Search terms as the console sends them: the rules of src/api/orders/search-terms.ts, copied
// because the console has no build step (test/unit/api/search-terms.test.ts keeps the two in step).
// The API normalizes again; normalizing here decides phone or identifier, and keeps the URL in
// the form the sources use.
(() => {
  'use strict';

  const PHONE_SEPARATORS = /[\s().-]/g;
  const COUNTRY_CODE = /^(?:\+86|0086)+/;

  /** Without spaces, dashes, dots, parentheses or a leading +86/0086. */
  const normalizePhone = (typed) => typed.replace(PHONE_SEPARATORS, '').replace(COUNTRY_CODE, '');

  /** Trimmed, ASCII letters in upper case: order ids, tracking numbers, fulfillment ids. */
  const normalizeIdentifier = (typed) => typed.trim().replace(/[a-z]+/g, (letters) => letters.toUpperCase());

  /** Six or more digits once separators and the country code are gone: `+86 (155) 2439-1640`. */
  const looksLikePhone = (typed) => /^\d{6,}$/.test(normalizePhone(typed.trim()));

  globalThis.orderlakeSearchTerms = Object.freeze({ normalizePhone, normalizeIdentifier, looksLikePhone });
})();
