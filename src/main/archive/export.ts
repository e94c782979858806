// Export: a profile's data as an `.angelmem` zip, optionally age-encrypted, streamed with constant
// memory. Rows are read a page at a time in primary-key order and each JSONL line goes straight into
// the zip (and through age, if asked) on its way to a temp file that is renamed into place at the end.
// Between pages the loop yields to the event loop, so a large export never blocks it for long.
// The manifest, which carries every entry's size and sha256, is known only when the data is written,
// so it is the last entry of the zip; importers read it first (the zip directory is at the end).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { once } from 'node:events';
import yazl from 'yazl';
import type { ArchiveFilter } from '../../shared/models';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { encryptStream, type AgeKey } from './age';
import { writeAtomically } from './files';
import {
  APP_VERSION,
  emptyCounts,
  ENTRY,
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST,
  type Counts,
  type EntryInfo,
  type EntryKey,
  type Manifest,
} from './format';
import { conversationPage, daySummaryPage, embeddingPage, memoryPage, type PageFilter } from './records';

export interface Progress {
  phase: string;
  done: number;
  total: number | null;
}

export interface ExportOptions {
  profile: { id: string; name: string };
  filter?: ArchiveFilter;
  encryption?: AgeKey;
  now: () => Date;
  onProgress?: (p: Progress) => void;
  /** Rows read per page (and between yields); conversations, which carry their segments, use a tenth. */
  pageSize?: number;
}

export interface ExportOutcome {
  bytes: number;
  counts: Counts;
  manifest: Manifest;
}

const PAGE = 500;

export function pageFilter(filter: ArchiveFilter | undefined): PageFilter {
  const iso = (s: string | undefined) => (s === undefined ? null : new Date(s).toISOString());
  return {
    from: iso(filter?.from),
    to: iso(filter?.to),
    tags: filter?.tags ? filter.tags.map((t) => t.toLowerCase()) : null,
  };
}

/** Whether a filter narrows the rows, so embeddings must be matched against what was exported. */
const narrows = (f: PageFilter) => f.from !== null || f.to !== null || f.tags !== null;

/**
 * One JSONL entry on its way into the zip: lines are collected for a page, then hashed, counted and
 * written as one buffer (a write per line costs more than the deflate itself).
 */
class EntryWriter {
  private readonly hash = createHash('sha256');
  private pending: string[] = [];
  bytes = 0;
  records = 0;
  readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });

  constructor(private readonly failed: Promise<never>) {}

  add(record: unknown): void {
    this.pending.push(`${JSON.stringify(record)}\n`);
    this.records += 1;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.hash.update(buf);
    this.bytes += buf.length;
    if (!this.stream.write(buf)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  async finish(name: string): Promise<EntryInfo> {
    await this.flush();
    this.stream.end();
    return { name, records: this.records, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

function tableTotal(db: Db, table: string): number {
  return (stmt(db, `SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

export async function exportArchive(db: Db, target: string, options: ExportOptions): Promise<ExportOutcome> {
  const createdAt = options.now();
  const filter = pageFilter(options.filter);
  const kinds = new Set<EntryKey>(options.filter?.kinds ?? ['conversations', 'memories', 'daySummaries']);
  if (options.filter?.embeddings) kinds.add('embeddings');
  // A tag filter selects memories; conversations and day summaries carry no tags.
  if (filter.tags) {
    kinds.delete('conversations');
    kinds.delete('daySummaries');
  }
  const size = options.pageSize ?? PAGE;
  const counts = emptyCounts();
  const entries: EntryInfo[] = [];
  const report = (phase: string, done: number, total: number | null) => options.onProgress?.({ phase, done, total });

  return writeAtomically(target, async (tmp) => {
    const zip = new yazl.ZipFile();
    let output: Readable = zip.outputStream as Readable;
    if (options.encryption) output = await encryptStream(output, options.encryption);
    let bytes = 0;
    output.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const written = pipeline(output, createWriteStream(tmp, { mode: 0o600 }));
    const failed = written.then(
      () => new Promise<never>(() => undefined),
      (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
    );
    // The race in EntryWriter observes `failed`; this keeps an early failure from being unhandled.
    failed.catch(() => undefined);
    const zipOptions = { mtime: createdAt, compress: true, compressionLevel: 6 };

    const exported = { memories: new Set<string>(), conversations: new Set<string>() };
    const track = narrows(filter) && kinds.has('embeddings');

    async function entry<R>(
      key: EntryKey,
      total: number | null,
      page: (after: number) => { records: R[]; last: number },
      each: (r: R) => void,
    ): Promise<void> {
      const w = new EntryWriter(failed);
      zip.addReadStream(w.stream, ENTRY[key], zipOptions);
      let after = 0;
      for (;;) {
        const { records, last } = page(after);
        if (records.length === 0 && last === after) break;
        for (const r of records) {
          each(r);
          w.add(r);
        }
        await w.flush();
        after = last;
        report(key, w.records, total);
        await yieldToLoop();
      }
      entries.push(await w.finish(ENTRY[key]));
    }

    function manifestOf(): Manifest {
      return {
        format: FORMAT_NAME,
        formatVersion: FORMAT_VERSION,
        appVersion: APP_VERSION,
        createdAt: createdAt.toISOString(),
        profile: { id: options.profile.id, name: options.profile.name },
        filter: options.filter && Object.keys(options.filter).length > 0 ? options.filter : null,
        counts,
        entries,
      };
    }

    async function writeEntries(): Promise<void> {
      const unfiltered = !narrows(filter);
      if (kinds.has('conversations')) {
        await entry(
          'conversations',
          unfiltered ? tableTotal(db, 'conversations') : null,
          (after) => conversationPage(db, after, Math.max(1, Math.floor(size / 10)), filter),
          (c) => {
            counts.conversations += 1;
            counts.segments += c.segments.length;
            counts.actionItems += c.actionItems.length;
            counts.events += c.events.length;
            if (track) exported.conversations.add(c.id);
          },
        );
      }
      if (kinds.has('memories')) {
        await entry(
          'memories',
          unfiltered ? tableTotal(db, 'memories') : null,
          (after) => memoryPage(db, after, size, filter),
          (m) => {
            counts.memories += 1;
            counts.memoryVersions += m.versions.length;
            if (track) exported.memories.add(m.id);
          },
        );
      }
      if (kinds.has('daySummaries')) {
        await entry(
          'daySummaries',
          unfiltered ? tableTotal(db, 'day_summaries') : null,
          (after) => daySummaryPage(db, after, size, filter),
          () => (counts.daySummaries += 1),
        );
      }
      if (kinds.has('embeddings')) {
        const include = {
          memory: (id: string) => kinds.has('memories') && (!track || exported.memories.has(id)),
          conversation: (id: string) => kinds.has('conversations') && (!track || exported.conversations.has(id)),
        };
        await entry(
          'embeddings',
          tableTotal(db, 'embeddings'),
          (after) => embeddingPage(db, after, size, include),
          () => (counts.embeddings += 1),
        );
      }

      zip.addBuffer(Buffer.from(`${JSON.stringify(manifestOf(), null, 2)}\n`), MANIFEST, zipOptions);
    }

    try {
      await writeEntries();
    } catch (err) {
      // Stop the zip and the file stream so the temp file can be removed and nothing is left open.
      output.destroy();
      await written.catch(() => undefined);
      throw err;
    }
    zip.end();
    await written;
    report('done', counts.conversations + counts.memories + counts.daySummaries, null);
    return { bytes, counts, manifest: manifestOf() };
  });
}
