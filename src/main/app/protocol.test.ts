// The app:// file handler over a real folder: serves the built renderer, refuses everything that
// would leave it (dot segments, encoded separators, symlinks, other hosts) and non-GET methods.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/core';
import { CONTENT_SECURITY_POLICY, createAppFileHandler, resolveAppPath } from './protocol';

describe('app:// protocol handler', () => {
  let dir: ReturnType<typeof tempDir>;
  let root: string;
  let handle: (request: Request) => Promise<Response>;

  beforeEach(() => {
    dir = tempDir();
    root = join(dir.path, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'a b.css'), 'body{}');
    writeFileSync(join(dir.path, 'secret.txt'), 'top secret');
    symlinkSync(join(dir.path, 'secret.txt'), join(root, 'assets', 'link.txt'));
    handle = createAppFileHandler(root);
  });

  afterEach(() => dir.remove());

  const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

  it('serves index.html for / and with a CSP header', async () => {
    for (const url of ['app://angel/', 'app://angel/index.html', 'app://angel']) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(await res.text()).toContain('<title>x</title>');
    }
  });

  it('serves assets with their MIME type and nosniff', async () => {
    const js = await get('app://angel/assets/index-abc.js?v=1#x');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.headers.get('content-security-policy')).toBeNull();
    expect(await js.text()).toBe('console.log(1)');
    const css = await get('app://angel/assets/a%20b.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body', async () => {
    const res = await get('app://angel/index.html', 'HEAD');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    'app://angel/../secret.txt',
    'app://angel/%2e%2e/secret.txt',
    'app://angel/..%2fsecret.txt',
    'app://angel/assets/..%2f..%2fsecret.txt',
    'app://angel/%2E%2E%5Csecret.txt',
    'app://angel/assets/link.txt',
    'app://angel/%00index.html',
    'app://angel/%E0%A4%A',
    'app://other/index.html',
    'app://angel/missing.js',
    'app://angel/assets',
    'app://angel/assets/',
  ])('refuses %s', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('top secret');
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await get('app://angel/index.html', 'POST')).status).toBe(405);
  });

  it('answers 404, not a rejection, when the renderer folder is missing', async () => {
    const missing = createAppFileHandler(join(dir.path, 'nope'));
    expect((await missing(new Request('app://angel/index.html'))).status).toBe(404);
  });

  it('resolveAppPath keeps paths inside the root', () => {
    expect(resolveAppPath(root, 'app://angel/assets/index-abc.js')).toBe(join(root, 'assets', 'index-abc.js'));
    expect(resolveAppPath(root, 'app://angel/..%2f..%2fetc/passwd')).toBeNull();
    expect(resolveAppPath(root, 'http://angel/index.html')).toBeNull();
    expect(resolveAppPath(root, 'not a url')).toBeNull();
  });
});
