// The log viewer's source: the newest lines of the log file every host writes
// (<dataDir>/logs/angel-memory.log, see createFileLogger), filtered by level and text. Lines were
// scrubbed of secrets when written. Only the file's last MAX_BYTES are read, so a large log costs a
// few milliseconds, never a scan of the whole file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

export const LOG_FILE = 'angel-memory.log';
export const logFilePath = (dataDir: string) => join(dataDir, 'logs', LOG_FILE);

const MAX_BYTES = 1024 * 1024;

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;
const NAMES = new Map<number, LevelName>(Object.entries(LEVELS).map(([k, v]) => [v, k as LevelName]));

export interface LogLine {
  time: string;
  level: LevelName;
  module: string | null;
  msg: string;
  /** The line's other fields as JSON (pid, profileId, err, ...). */
  detail: string;
}

export interface TailQuery {
  /** This level and above. */
  level?: LevelName;
  /** Case-insensitive, anywhere in the line. */
  text?: string;
  limit: number;
}

function lastBytes(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, MAX_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // A read that starts mid-file starts mid-line: drop that partial first line.
    return size > length ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/** Newest first. Lines that are not pino JSON are skipped. */
export function tailLog(file: string, q: TailQuery): LogLine[] {
  const min = q.level ? LEVELS[q.level] : 0;
  const needle = q.text?.trim().toLowerCase() || null;
  const lines = lastBytes(file).split('\n');
  const out: LogLine[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < q.limit; i--) {
    const raw = lines[i]!;
    if (raw === '' || (needle !== null && !raw.toLowerCase().includes(needle))) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const { level, time, msg, module, ...rest } = parsed as Record<string, unknown>;
    const name = typeof level === 'number' ? NAMES.get(level) : undefined;
    if (!name || LEVELS[name] < min) continue;
    out.push({
      time: typeof time === 'number' ? new Date(time).toISOString() : typeof time === 'string' ? time : '',
      level: name,
      module: typeof module === 'string' ? module : null,
      msg: typeof msg === 'string' ? msg : '',
      detail: JSON.stringify(rest),
    });
  }
  return out;
}
