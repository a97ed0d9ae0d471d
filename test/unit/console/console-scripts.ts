import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../../dashboards/console');

/**
 * Runs one of the console's plain browser scripts in a fresh context, as the page does (each puts
 * one frozen object on `globalThis`), and returns that object.
 */
export function loadConsoleScript<T>(file: string, globalName: string): T {
  const context = vm.createContext({ Intl, Date, Math, Number, String, Object, Array, Map, Set, JSON, RegExp });
  vm.runInContext(readFileSync(path.join(CONSOLE_DIR, file), 'utf8'), context, { filename: file });
  const value = (context as Record<string, unknown>)[globalName];
  if (value === undefined) throw new Error(`${file} did not define globalThis.${globalName}`);
  return value as T;
}
