import { describe, expect, it } from 'vitest';
import { createSentFacts } from '../../../src/pipeline/kafka/sent-facts.js';

describe('createSentFacts', () => {
  it('remembers a fact for its order only', () => {
    const facts = createSentFacts(10);
    facts.add('tn:SF1', 'SO-1');
    expect(facts.has('tn:SF1', 'SO-1')).toBe(true);
    expect(facts.has('tn:SF1', 'SO-2')).toBe(false);
    expect(facts.has('ff:FF-1', 'SO-1')).toBe(false);
  });

  it('forgets the least recently sent fact beyond its capacity', () => {
    const facts = createSentFacts(2);
    facts.add('a', 'SO-1');
    facts.add('b', 'SO-1');
    facts.add('a', 'SO-1'); // sent again: now the most recent
    facts.add('c', 'SO-1');
    expect(facts.size).toBe(2);
    expect(facts.has('b', 'SO-1')).toBe(false);
    expect(facts.has('a', 'SO-1')).toBe(true);
    expect(facts.has('c', 'SO-1')).toBe(true);
  });
});
