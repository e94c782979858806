// Where a worker thread's code is: its TypeScript source beside the module that starts it (under
// vitest), or its bundled entry in out/main (a build). Used by the archive import pool and the search
// ranker.
import { existsSync } from 'node:fs';
import { AppError } from './errors';

/**
 * When a module runs from TypeScript source (under vitest), its worker is a .ts file: Node transforms
 * the types itself, and this resolve hook adds the `.ts` that extensionless imports leave out.
 */
const RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || /\\.[cm]?[jt]s$/.test(specifier)) throw err;
    try {
      return await next(specifier + '.ts', context);
    } catch {
      return next(specifier + '/index.ts', context);
    }
  }
}`;
const RESOLVE_TS = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`)});`,
)}`;

export interface WorkerSpec {
  url: URL;
  execArgv: string[];
}

/**
 * `here`: the starting module's import.meta.url; `source`: the worker's .ts path relative to it;
 * `built`: the worker's entry name in the build (electron.vite.config.ts).
 */
export function workerSpec(here: string, source: string, built: string): WorkerSpec {
  if (here.endsWith('.ts')) {
    return {
      url: new URL(source, here),
      execArgv: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', RESOLVE_TS],
    };
  }
  // A build puts its entries in out/main and shared chunks in out/main/chunks.
  const url = [new URL(`./${built}.js`, here), new URL(`../${built}.js`, here)].find((u) => existsSync(u));
  if (!url) throw new AppError('INTERNAL', `this build has no ${built} (out/main/${built}.js)`);
  return { url, execArgv: [] };
}
