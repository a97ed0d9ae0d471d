import { describe, expect, it } from 'vitest';
import { loggableUrl } from '../../../src/api/http-error.js';

describe('loggableUrl', () => {
  it('redacts an access_token query parameter wherever it stands, and keeps the rest', () => {
    expect(loggableUrl('/ws?access_token=eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe('/ws?access_token=[redacted]');
    expect(loggableUrl('/ws?x=1&ACCESS_TOKEN=secret-1&y=2')).toBe('/ws?x=1&ACCESS_TOKEN=[redacted]&y=2');
    expect(loggableUrl('/orders/SO-1?include=provenance')).toBe('/orders/SO-1?include=provenance');
  });
});
