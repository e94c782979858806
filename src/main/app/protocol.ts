// The renderer's origin in production: app://angel, a privileged standard scheme served from the
// built renderer folder. A custom origin (rather than file://) gives the page a real origin for CSP
// 'self' and lets ipc.ts tell our frames from anything else. The handler is plain fetch-API code,
// so it is tested under Node; index.ts hands it to protocol.handle.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'angel';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** The same policy as the meta tag in index.html, also sent as a header (headers cannot be skipped). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Maps an app:// URL to a file under `root`, or null when it is not ours or would leave the folder
 * (`..`, encoded separators, NUL bytes, another host).
 */
export function resolveAppPath(root: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  // Chromium gives a standard scheme's bare origin the path "/"; WHATWG URL in Node gives "".
  const path = join(root, pathname === '/' || pathname === '' ? 'index.html' : pathname);
  return inside(root, path) ? path : null;
}

export function createAppFileHandler(root: string): (request: Request) => Promise<Response> {
  let realRoot: Promise<string> | undefined;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed');
    const path = resolveAppPath(root, request.url);
    if (!path) return text(404, 'not found');
    try {
      // A symlink inside the folder must not lead out of it either.
      const real = await realpath(path);
      if (!inside(await (realRoot ??= realpath(root)), real) || !(await stat(real)).isFile())
        return text(404, 'not found');
      const body = await readFile(real);
      const type = MIME[extname(real).toLowerCase()] ?? 'application/octet-stream';
      const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff' };
      if (type.startsWith('text/html')) headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
    } catch {
      return text(404, 'not found');
    }
  };
}
