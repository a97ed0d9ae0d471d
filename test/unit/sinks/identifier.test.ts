import { describe, expect, it } from 'vitest';
import { qualifiedTable, quoteIdentifier } from '../../../src/sinks/index.js';

describe('quoteIdentifier', () => {
  it('back-quotes plain identifiers', () => {
    expect(quoteIdentifier('orderlake')).toBe('`orderlake`');
    expect(quoteIdentifier('_test_01')).toBe('`_test_01`');
    expect(qualifiedTable('orderlake', 'golden_orders')).toBe('`orderlake`.`golden_orders`');
  });

  it.each(['', '1abc', 'a-b', 'a.b', 'a`b', "a'; DROP DATABASE x; --", 'ünï'])('rejects %j as a configuration error', (name) => {
    expect(() => quoteIdentifier(name)).toThrow(expect.objectContaining({ code: 'OL_ERR_CONFIG_INVALID' }));
  });
});
