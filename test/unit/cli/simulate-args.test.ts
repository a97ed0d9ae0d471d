import { describe, expect, it } from 'vitest';
import { parseLagSource, parseMix, parseSilentSource, parseSimulateArgs } from '../../../src/cli/simulate-command.js';
import { DEFAULT_MIX } from '../../../src/simulator/index.js';

const MINUTE = 60_000;

describe('orderlake simulate arguments', () => {
  it('reads a lagging source with its window, counted from --start', () => {
    expect(parseLagSource('crm:20m@30m+1h')).toEqual({ source: 'crm', lagMs: 20 * MINUTE, afterStartMs: 30 * MINUTE, forMs: 60 * MINUTE });
    expect(parseLagSource('wms:45m')).toEqual({ source: 'wms', lagMs: 45 * MINUTE, afterStartMs: 60 * MINUTE, forMs: 120 * MINUTE });
    for (const bad of ['crm', 'erp:20m', 'crm:0', 'crm:20', 'crm:20m@30m', 'crm:20m@30m+0']) expect(parseLagSource(bad), bad).toBeUndefined();
  });

  it('reads a silent source with its window', () => {
    expect(parseSilentSource('tms@2h30m+75m')).toEqual({ source: 'tms', afterStartMs: 150 * MINUTE, forMs: 75 * MINUTE });
    expect(parseSilentSource('wms')).toEqual({ source: 'wms', afterStartMs: 60 * MINUTE, forMs: 60 * MINUTE });
    for (const bad of ['tms:20m', 'tms@1h', 'x@1h+1h']) expect(parseSilentSource(bad), bad).toBeUndefined();
  });

  it('reads a mix: listed kinds only, or the default with changes', () => {
    expect(parseMix('happy=3,linkDelayed=1')).toEqual({ happy: 3, linkDelayed: 1 });
    expect(parseMix('default,releaseDelayed=10')).toEqual({ ...DEFAULT_MIX, releaseDelayed: 10 });
    expect(parseMix('happy=3,nope=1')).toMatch(/unknown story kind "nope"/);
    expect(parseMix('happy=-1')).toMatch(/non-negative/);
    expect(parseMix('happy=0')).toMatch(/positive weight/);
  });

  it('passes repeated windows, the mix and the manifest on, and names a bad flag value', () => {
    const parsed = parseSimulateArgs(['--orders', '5', '--lag-source', 'crm:20m', '--lag-source', 'tms:30m@2h+1h', '--silent-source', 'wms', '--mix', 'happy=1', '--manifest', 'm.jsonl']);
    expect('options' in parsed && parsed.options).toMatchObject({
      orders: 5,
      mix: { happy: 1 },
      manifest: 'm.jsonl',
      lagSources: [{ source: 'crm' }, { source: 'tms', lagMs: 30 * MINUTE, afterStartMs: 120 * MINUTE }],
      silentSources: [{ source: 'wms' }],
    });
    expect(parseSimulateArgs(['--lag-source', 'crm'])).toMatchObject({ error: expect.stringContaining('--lag-source must be SOURCE:LAG') });
    expect(parseSimulateArgs(['--shuffle', 'some'])).toMatchObject({ error: expect.stringContaining('--shuffle') });
  });
});
