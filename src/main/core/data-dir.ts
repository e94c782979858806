// Where vaults live when no --data-dir / ANGEL_MEMORY_HOME is given: the platform's per-user
// application-data folder. The desktop app, the headless server and the CLI share it.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.ANGEL_MEMORY_HOME) return env.ANGEL_MEMORY_HOME;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Angel Memory');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Angel Memory');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'angel-memory');
}
