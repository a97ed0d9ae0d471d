import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../http-error.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const missing = (name: string) => new HttpError(404, 'OL_ERR_HTTP_NOT_FOUND', `no console file ${name}`);

/**
 * The file `relative` inside `root`, or null when it would leave the folder: `..` segments,
 * absolute paths, NUL bytes, and symbolic links pointing outside are all refused.
 */
export async function resolveInside(root: string, relative: string): Promise<string | null> {
  if (relative.includes('\0') || relative.includes('\\')) return null;
  const segments = relative.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const candidate = path.resolve(root, ...segments.filter((s) => s !== ''));
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(candidate)]);
    const inside = path.relative(realRoot, realFile);
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
    return (await stat(realFile)).isFile() ? realFile : null;
  } catch {
    return null;
  }
}

async function sendFile(reply: FastifyReply, root: string, relative: string): Promise<FastifyReply> {
  const file = await resolveInside(root, relative);
  const type = file === null ? undefined : CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (file === null || type === undefined) throw missing(relative);
  return reply
    .header('content-type', type)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(await readFile(file));
}

/**
 * The agent console (static files, no build step): `/` is its `index.html`, `/console/*` its
 * assets. Public, like any web page: the console asks for a token before it calls the API.
 */
export function registerConsoleRoutes(app: FastifyInstance, deps: { consoleDir: string }): void {
  const root = path.resolve(deps.consoleDir);
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendFile(reply, root, 'index.html'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (request, reply) =>
    sendFile(reply, root, request.params['*']),
  );
}
