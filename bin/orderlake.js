#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the installed command and `npm start` run the same code.
import { startEarlyHealth } from './early-health.js';

// Before anything heavy is loaded: `/health` answers while the sources compile (see early-health.js).
if (process.argv[2] === 'start' && !process.argv.includes('--help') && !process.argv.includes('-h')) startEarlyHealth();
const { register } = await import('tsx/esm/api');
register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2));
