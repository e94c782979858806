// Reading an `.angelmem` archive: every check that can refuse it runs here, before the database is
// touched. In order: age decryption (if encrypted), the zip directory (entry count, names, sizes,
// compression ratio), the manifest (present, last, known format, major version not newer than ours),
// the entry list against the manifest, then every entry streamed through sha256 and every line
// through zod. readArchive keeps the records in memory (small archives, tests); verifyArchive keeps
// only the ids it must compare, and an import then replays the verified records into its transaction.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import yauzl from 'yauzl';
import type { z } from 'zod';
import { decryptBuffer, isAgeFile } from './age';
import {
  AGE_MAGIC,
  ArchiveError,
  DEFAULT_LIMITS,
  ENTRY,
  FORMAT_MAJOR,
  MANIFEST,
  Manifest,
  ManifestHead,
  RECORD_SCHEMAS,
  emptyCounts,
  type ConversationRecord,
  type Counts,
  type DaySummaryRecord,
  type EmbeddingRecord,
  type EntryKey,
  type Limits,
  type MemoryRecord,
  type StagedArchive,
} from './format';

export type ArchiveSource = { path: string } | { buffer: Buffer };

export interface ReadOptions {
  passphrase?: string;
  /** An age X25519 identity (backups). */
  identity?: string;
  limits?: Partial<Limits>;
  onProgress?: (p: { phase: string; done: number; total: number | null }) => void;
}

const SAFE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const KNOWN = new Map<string, EntryKey>(Object.entries(ENTRY).map(([k, v]) => [v, k as EntryKey]));

function describeIssue(error: z.ZodError): string {
  const first = error.issues[0];
  return `${first?.path.length ? `${first.path.join('.')}: ` : ''}${first?.message ?? 'invalid'}`;
}

function readHead(source: ArchiveSource): Buffer {
  if ('buffer' in source) return source.buffer.subarray(0, AGE_MAGIC.length);
  const fd = openSync(source.path, 'r');
  try {
    const head = Buffer.alloc(AGE_MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export async function openZip(
  source: ArchiveSource,
  options: ReadOptions,
): Promise<{ zip: yauzl.ZipFile; encrypted: boolean }> {
  let bytes: Buffer | undefined = 'buffer' in source ? source.buffer : undefined;
  const encrypted = isAgeFile(readHead(source));
  if (encrypted) {
    if (options.passphrase === undefined && options.identity === undefined) {
      throw new ArchiveError('PASSPHRASE_REQUIRED', 'this archive is encrypted: give its passphrase');
    }
    bytes = await decryptBuffer(bytes ?? readFileSync((source as { path: string }).path), options);
  }
  const zipOptions = { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, autoClose: false };
  try {
    const zip = bytes
      ? await yauzl.fromBufferPromise(bytes, zipOptions)
      : await yauzl.openPromise((source as { path: string }).path, zipOptions);
    return { zip, encrypted };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kind = /end of central directory|truncated|unexpected EOF/i.test(message) ? 'TRUNCATED' : 'BAD_ZIP';
    throw new ArchiveError(kind, `not a readable zip archive (${message})`);
  }
}

function zipFailure(err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/invalid (relative path|characters)|absolute path|backslash/i.test(message)) {
    return new ArchiveError('BAD_ENTRY_NAME', message);
  }
  if (/too many|too few|expected|unexpected EOF|truncated|out of range/i.test(message)) {
    return new ArchiveError('TRUNCATED', message);
  }
  return new ArchiveError('BAD_ZIP', message);
}

/** Lists the directory and applies the structural limits, without decompressing anything. */
async function listEntries(zip: yauzl.ZipFile, limits: Limits): Promise<yauzl.Entry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw new ArchiveError('TOO_MANY_ENTRIES', `${zip.entryCount} entries; at most ${limits.maxEntries} are allowed`);
  }
  const entries: yauzl.Entry[] = [];
  const names = new Set<string>();
  let total = 0;
  try {
    for await (const e of zip.eachEntry()) {
      const name = e.fileName;
      if (!SAFE_NAME.test(name) || name.includes('..')) {
        throw new ArchiveError('BAD_ENTRY_NAME', `entry name ${JSON.stringify(name.slice(0, 120))} is not allowed`);
      }
      if (names.has(name)) throw new ArchiveError('ENTRY_MISMATCH', `entry ${name} appears twice`);
      names.add(name);
      if (e.isEncrypted() || (e.compressionMethod !== 0 && e.compressionMethod !== 8)) {
        throw new ArchiveError('BAD_ZIP', `entry ${name} uses an unsupported compression or zip encryption`);
      }
      if (e.uncompressedSize > limits.maxEntryBytes) {
        throw new ArchiveError('ENTRY_TOO_LARGE', `entry ${name} is ${e.uncompressedSize} bytes uncompressed`);
      }
      total += e.uncompressedSize;
      if (total > limits.maxTotalBytes) {
        throw new ArchiveError('ENTRY_TOO_LARGE', `the archive holds more than ${limits.maxTotalBytes} bytes`);
      }
      if (
        e.uncompressedSize > limits.ratioFloorBytes &&
        e.uncompressedSize / Math.max(1, e.compressedSize) > limits.maxRatio
      ) {
        throw new ArchiveError(
          'ZIP_BOMB',
          `entry ${name} expands ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1 (limit ${limits.maxRatio}:1)`,
        );
      }
      entries.push(e);
    }
  } catch (err) {
    throw zipFailure(err);
  }
  return entries;
}

/** Streams one entry, hashing it and handing over complete lines; checks size and sha256 at the end. */
async function readLines(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  expected: { bytes: number; sha256: string },
  limits: Limits,
  onLine: (line: string, n: number) => void,
): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  let lines = 0;
  let carry: Buffer[] = [];
  let carried = 0;
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (err) {
    throw zipFailure(err);
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (size > expected.bytes)
        throw new ArchiveError('ENTRY_MISMATCH', `entry ${entry.fileName} is longer than its manifest says`);
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        const line = carried ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
        carry = [];
        carried = 0;
        lines += 1;
        onLine(line, lines);
        start = nl + 1;
      }
      if (start < chunk.length) {
        carry.push(chunk.subarray(start));
        carried += chunk.length - start;
        if (carried > limits.maxLineBytes) {
          throw new ArchiveError(
            'BAD_LINE',
            `${entry.fileName}:${lines + 1}: line longer than ${limits.maxLineBytes} bytes`,
          );
        }
      }
      await yieldToLoop();
    }
  } catch (err) {
    stream.destroy();
    throw zipFailure(err);
  }
  if (carried) throw new ArchiveError('BAD_LINE', `${entry.fileName}:${lines + 1}: the last line has no newline`);
  if (size !== expected.bytes || hash.digest('hex') !== expected.sha256) {
    throw new ArchiveError('CHECKSUM_MISMATCH', `entry ${entry.fileName} does not match its sha256 in the manifest`);
  }
  return lines;
}

async function readManifest(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: Limits): Promise<Manifest> {
  if (entry.uncompressedSize > limits.maxManifestBytes) {
    throw new ArchiveError('BAD_MANIFEST', `the manifest is larger than ${limits.maxManifestBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  try {
    const stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (err) {
    throw zipFailure(err);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ArchiveError('BAD_MANIFEST', 'manifest.json is not valid JSON');
  }
  const head = ManifestHead.safeParse(json);
  if (!head.success) {
    throw new ArchiveError(
      'BAD_MANIFEST',
      `manifest.json is not an Angel Memory manifest (${describeIssue(head.error)})`,
    );
  }
  const major = Number(head.data.formatVersion.split('.')[0]);
  if (major > FORMAT_MAJOR) {
    throw new ArchiveError(
      'FORMAT_FROM_FUTURE',
      `this archive uses format ${head.data.formatVersion}, written by a newer Angel Memory; this version reads format ${FORMAT_MAJOR}.x. Update the app to import it`,
    );
  }
  if (major < 1) throw new ArchiveError('BAD_MANIFEST', `unknown format version ${head.data.formatVersion}`);
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) throw new ArchiveError('BAD_MANIFEST', `manifest.json: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

interface Checked {
  zip: yauzl.ZipFile;
  encrypted: boolean;
  manifest: Manifest;
  data: yauzl.Entry[];
  limits: Limits;
}

/** Opens, checks the directory and reads the manifest; the caller must close the zip. */
async function openChecked(source: ArchiveSource, options: ReadOptions): Promise<Checked> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { zip, encrypted } = await openZip(source, options);
  try {
    const entries = await listEntries(zip, limits);
    const last = entries.at(-1);
    if (!entries.some((e) => e.fileName === MANIFEST))
      throw new ArchiveError('MISSING_MANIFEST', 'manifest.json is missing');
    if (last?.fileName !== MANIFEST) throw new ArchiveError('ENTRY_MISMATCH', 'manifest.json must be the last entry');
    const manifest = await readManifest(zip, last, limits);
    const data = entries.slice(0, -1);
    const listed = manifest.entries.map((e) => e.name);
    const actual = data.map((e) => e.fileName);
    if (listed.join('\n') !== actual.join('\n')) {
      throw new ArchiveError(
        'ENTRY_MISMATCH',
        `the entries [${actual.join(', ')}] do not match the manifest's [${listed.join(', ')}] (missing, extra or reordered)`,
      );
    }
    manifest.entries.forEach((info, i) => {
      if (data[i]!.uncompressedSize !== info.bytes) {
        throw new ArchiveError(
          'ENTRY_MISMATCH',
          `entry ${info.name} has ${data[i]!.uncompressedSize} bytes, the manifest says ${info.bytes}`,
        );
      }
    });
    return { zip, encrypted, manifest, data, limits };
  } catch (err) {
    zip.close();
    throw err;
  }
}

/** The manifest only (for a preview before importing); the directory is checked, entries are not read. */
export async function inspectArchive(
  source: ArchiveSource,
  options: ReadOptions,
): Promise<{ manifest: Manifest; encrypted: boolean }> {
  const { zip, manifest, encrypted } = await openChecked(source, options);
  zip.close();
  return { manifest, encrypted };
}

/** A record of one of the known entries, as its zod schema outputs it. */
export type ArchiveRecord =
  | { key: 'conversations'; record: ConversationRecord }
  | { key: 'memories'; record: MemoryRecord }
  | { key: 'daySummaries'; record: DaySummaryRecord }
  | { key: 'embeddings'; record: EmbeddingRecord };

/**
 * Reads every entry once, in order: each is streamed through sha256 and its size checked against the
 * manifest, each line through JSON and zod, and each record handed to `onRecord`. An entry a later
 * 1.x version added is verified the same way and its lines are left alone.
 */
/**
 * Whether zod's output is the parsed JSON itself, value for value: no key stripped, nothing trimmed.
 * Archives this app writes always are; an entry whose every line is can be replayed without zod.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (Array.isArray(b) || ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * `verbatim` (second pass only): indexes of entries whose every line zod passed unchanged in the
 * first pass. Their bytes are hashed again, so each line parses to what was checked, and zod is
 * skipped; any mismatch fails the entry's hash at its end, inside the apply transaction, which then
 * rolls back. `onVerbatim` (first pass) hears which entries qualify.
 */
async function scan(
  { zip, manifest, data, limits }: Checked,
  phase: string,
  options: ReadOptions,
  onRecord: (r: ArchiveRecord) => void,
  verbatim: { known?: ReadonlySet<number>; found?: Set<number> } = {},
): Promise<void> {
  for (const [i, info] of manifest.entries.entries()) {
    const key = KNOWN.get(info.name);
    const schema = key ? RECORD_SCHEMAS[key] : undefined;
    const trusted = verbatim.known?.has(i) ?? false;
    let unchanged = true;
    const lines = await readLines(zip, data[i]!, info, limits, (line, n) => {
      if (!schema || !key) return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new ArchiveError('BAD_LINE', `${info.name}:${n}: not valid JSON`);
      }
      if (trusted) {
        onRecord({ key, record: json } as ArchiveRecord);
      } else {
        const parsed = schema.safeParse(json);
        if (!parsed.success) throw new ArchiveError('BAD_LINE', `${info.name}:${n}: ${describeIssue(parsed.error)}`);
        if (verbatim.found && unchanged) unchanged = sameValue(parsed.data, json);
        onRecord({ key, record: parsed.data } as ArchiveRecord);
      }
      if (n % 1000 === 0) options.onProgress?.({ phase: `${phase} ${key}`, done: n, total: info.records });
    });
    if (lines !== info.records) {
      throw new ArchiveError(
        'ENTRY_MISMATCH',
        `entry ${info.name} has ${lines} records, the manifest says ${info.records}`,
      );
    }
    if (unchanged) verbatim.found?.add(i);
  }
}

/**
 * What must hold across a whole archive, gathered while its records stream past without keeping
 * them: the manifest's counts, and ids that may appear only once.
 */
class Census {
  private readonly counts = emptyCounts();
  private readonly seen = new Map<string, Set<string>>();

  private unique(what: string, id: string | null): void {
    if (id === null) return;
    let ids = this.seen.get(what);
    if (!ids) this.seen.set(what, (ids = new Set()));
    if (ids.has(id)) throw new ArchiveError('DUPLICATE_RECORD', `${what} ${id} appears twice`);
    ids.add(id);
  }

  observe(r: ArchiveRecord): void {
    const c = this.counts;
    switch (r.key) {
      case 'conversations':
        c.conversations += 1;
        c.segments += r.record.segments.length;
        c.actionItems += r.record.actionItems.length;
        c.events += r.record.events.length;
        this.unique('conversation', r.record.id);
        for (const a of r.record.actionItems) this.unique('action item remote id', a.remoteId);
        break;
      case 'memories':
        c.memories += 1;
        c.memoryVersions += r.record.versions.length;
        this.unique('memory', r.record.id);
        this.unique('memory remote id', r.record.remoteId);
        break;
      case 'daySummaries':
        c.daySummaries += 1;
        break;
      case 'embeddings': {
        const e = r.record;
        c.embeddings += 1;
        this.unique('embedding', `${e.kind}:${e.itemId}:${e.segmentIdx ?? ''}:${e.model}`);
        break;
      }
    }
  }

  check(manifest: Manifest): void {
    for (const [k, v] of Object.entries(this.counts)) {
      const said = manifest.counts[k as keyof Counts];
      if (said !== v)
        throw new ArchiveError('ENTRY_MISMATCH', `the manifest counts ${said} ${k}, the archive holds ${v}`);
    }
  }
}

/** Verifies the whole archive and holds every record in memory (small archives, tests, previews). */
export async function readArchive(source: ArchiveSource, options: ReadOptions): Promise<StagedArchive> {
  const checked = await openChecked(source, options);
  const staged: StagedArchive = {
    manifest: checked.manifest,
    conversations: [],
    memories: [],
    daySummaries: [],
    embeddings: [],
  };
  const census = new Census();
  try {
    await scan(checked, 'validate', options, (r) => {
      census.observe(r);
      (staged[r.key] as unknown[]).push(r.record);
    });
  } finally {
    checked.zip.close();
  }
  census.check(checked.manifest);
  return staged;
}

export interface VerifiedArchive {
  manifest: Manifest;
  /**
   * Streams the records again, in archive order (the bytes are re-hashed, so an archive changed on
   * disk since it was verified fails here; zod runs again unless the first pass found it changes
   * nothing in that entry).
   */
  replay(onRecord: (r: ArchiveRecord) => void): Promise<void>;
  close(): void;
}

/**
 * The first pass of an import: every check there is, with memory bounded by the ids it must compare
 * (records are not kept). The zip stays open (decrypted in memory, if it was encrypted) so the
 * second pass, `replay`, reads the same bytes without decrypting again.
 */
export async function verifyArchive(source: ArchiveSource, options: ReadOptions): Promise<VerifiedArchive> {
  const checked = await openChecked(source, options);
  const verbatim = new Set<number>();
  try {
    const census = new Census();
    await scan(checked, 'validate', options, (r) => census.observe(r), { found: verbatim });
    census.check(checked.manifest);
  } catch (err) {
    checked.zip.close();
    throw err;
  }
  return {
    manifest: checked.manifest,
    replay: (onRecord) => scan(checked, 'apply', options, onRecord, { known: verbatim }),
    close: () => checked.zip.close(),
  };
}
