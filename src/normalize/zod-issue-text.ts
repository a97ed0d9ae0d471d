import type { z } from 'zod';

/** A zod issue restated for a person editing YAML: where, and what was expected instead. */
export interface IssueText {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

const KNOWN_KEYS = [
  'name', 'description', 'topic', 'codec', 'type', 'writerSchema', 'readerSchema', 'writerSchemas', 'key', 'format',
  'fields', 'tombstones', 'envelope', 'ordering', 'emits', 'from', 'scale', 'nullable', 'map', 'maps', 'values', 'default',
];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function oneOf(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Turns one zod issue into one or more located, readable expectations. */
export function issueText(issue: z.core.$ZodIssue, input: unknown): IssueText[] {
  const received = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (received === undefined) return [{ path: issue.path, message: `is required: expected ${expected}` }];
      return [{ path: issue.path, message: `expected ${expected}, got ${show(received)}` }];
    }
    case 'invalid_value':
      if (received === undefined) return [{ path: issue.path, message: `is required: expected one of ${oneOf(issue.values)}` }];
      return [{ path: issue.path, message: `expected one of ${oneOf(issue.values)}, got ${show(received)}` }];
    case 'invalid_union':
      if ('options' in issue && issue.options !== undefined && issue.options.length > 0) {
        if (received === undefined) return [{ path: issue.path, message: `is required: expected one of ${oneOf(issue.options)}` }];
        return [{ path: issue.path, message: `expected one of ${oneOf(issue.options)}, got ${show(received)}` }];
      }
      return [{ path: issue.path, message: `does not match any allowed form (${issue.message})` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const close = KNOWN_KEYS.find((known) => editDistance(known, key) <= 2);
        const hint = close === undefined ? '' : ` (did you mean "${close}"?)`;
        return { path: [...issue.path, key], message: `unknown key${hint}: not part of the pipeline file schema` };
      });
    case 'too_small':
      if (issue.origin === 'array') return [{ path: issue.path, message: `expected at least ${String(issue.minimum)} item(s)` }];
      if (issue.origin === 'string') return [{ path: issue.path, message: 'expected a non-empty string' }];
      return [{ path: issue.path, message: `expected at least ${String(issue.minimum)}, got ${show(received)}` }];
    case 'too_big':
      return [{ path: issue.path, message: `expected at most ${String(issue.maximum)}, got ${show(received)}` }];
    case 'invalid_format':
      return [{ path: issue.path, message: `${issue.message}, got ${show(received)}` }];
    default:
      return [{ path: issue.path, message: issue.message }];
  }
}
