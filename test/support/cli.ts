// Runs the built CLI (bin/angel-memory -> out/main/cli.js) as a child process. `npm test` builds first.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = join(import.meta.dirname, '../../bin/angel-memory');

export interface Served {
  child: ChildProcess;
  webhookUrl: string;
  /** The browser UI's page, token in the fragment. */
  uiUrl: string;
  exited: Promise<number | null>;
}

/** Starts `serve --json` and resolves once its ready line is printed. */
export function startServe(
  dataDir: string,
  profile: string,
  passphrase: string,
  extra: string[] = [],
): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--data-dir',
      dataDir,
      '--json',
      'serve',
      '--profile',
      profile,
      '--webhook-port',
      '0',
      '--ui-port',
      '0',
      ...extra,
    ],
    { env: { ...process.env, ANGEL_MEMORY_PASSPHRASE: passphrase }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      try {
        const ready = JSON.parse(line) as { webhookUrl: string; uiUrl: string };
        resolve({ child, webhookUrl: ready.webhookUrl, uiUrl: ready.uiUrl, exited });
      } catch (err) {
        reject(new Error(`unexpected ready line ${line}: ${String(err)}`));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready: ${stderr}`)));
  });
}

/** Runs one CLI command to completion. */
export function runBin(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
