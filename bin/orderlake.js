#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the installed command and `npm start` run the same code.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2));
