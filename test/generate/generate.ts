// The data generator (`npm run gen`, benchmarks, tests): fills an open vault with a deterministic,
// realistic-looking lifetime of OMI data from a seed. Same seed and sizes, same rows, ids, dates and
// vectors, byte for byte.
//
// What it writes: conversations (title, overview, language, category, dates over several years,
// starred now and then) with transcript segments (speakers, start/end seconds), memories linked to
// conversations with categories, origins and tags, and a vector for every memory and conversation
// from the deterministic hashed embedder (providers/hashed.ts), stored through writeVector as the
// embedding pass would store it (same model key and content hash, so nothing is re-embedded).
//
// Why the vectors have structure: every item is written about one of a few dozen topics, each with
// its own vocabulary (in English, Spanish, French, German, Portuguese or Japanese, with diacritics
// and CJK) and a long tail of topic-specific rare words. Bag-of-words vectors of texts on the same
// topic share dimensions, so the vectors form topic clusters with near neighbours inside them, as
// a real model's do; uniform noise would make every neighbour list arbitrary and recall figures
// meaningless. Three words ("the", "meeting", "coffee") appear in ~95%, ~60% and ~40% of texts so
// the query mix has common words with huge match lists.
//
// Speed: rows go in by prepared statements in transactions of a few thousand; transcript segments
// are indexed into fts_segments in bulk (one INSERT ... SELECT) when no trigger does it; the
// embedder caches each token's hash (the text generator has a bounded vocabulary).
import { createHash } from 'node:crypto';
import type { Db } from '../../src/main/db/open';
import { textHash } from '../../src/main/search/embed';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { modelKey, normalize } from '../../src/main/search/providers/port';
import { seeded, writeVector } from '../../src/main/search/vectors';

export interface GenerateOptions {
  memories: number;
  conversations: number;
  /** Transcript segments per conversation (default 8). */
  segmentsPerConversation?: number;
  seed?: number;
  /** Vectors for memories and conversations (default true). */
  embeddings?: boolean;
  /** Dates run over this many years ending at `until` (defaults: 4 years to 2026-01-01). */
  years?: number;
  until?: string;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface GenerateReport {
  memories: number;
  conversations: number;
  segments: number;
  tags: number;
  embeddings: number;
  model: string;
  ms: number;
}

export const DIMS = 768;
export const GENERATOR_MODEL = modelKey(createHashedProvider(DIMS));
const BATCH = 2_000;

/** mulberry32: small, fast, seeded (the same generator the vector codes' rotation uses). */
export const rng = seeded;

type Lang = 'en' | 'es' | 'fr' | 'de' | 'pt' | 'ja';

interface Topic {
  name: string;
  lang: Lang;
  category: string;
  tags: string[];
  words: string[];
}

const FUNCTION_WORDS: Record<Lang, string[]> = {
  en: 'and to of in for with on at about from after before we i you she he they it was is will'.split(' '),
  es: 'y de la el en para con que por una los las se fue está será'.split(' '),
  fr: 'et de la le les pour avec que une des est été sera très à où'.split(' '),
  de: 'und der die das mit für auf ist war wird ein eine über nach schön'.split(' '),
  pt: 'e de a o para com que uma os as foi está será não então'.split(' '),
  ja: 'は が を に で と の も から まで です ました'.split(' '),
};

// Topic vocabularies: hand-written heads (realistic words, accents, CJK) per language.
const HEADS: [string, Lang, string, string[], string][] = [
  [
    'work',
    'en',
    'work',
    ['work', 'project'],
    'deadline roadmap budget quarterly review pricing vendor contract invoice launch sprint standup manager hiring',
  ],
  [
    'health',
    'en',
    'health',
    ['health'],
    'doctor appointment running knee physiotherapy sleep vitamins blood pressure dentist allergy pharmacy',
  ],
  [
    'family',
    'en',
    'family',
    ['family'],
    'mom dad sister birthday dinner grandma kids school weekend wedding anniversary cousin',
  ],
  [
    'travel',
    'en',
    'travel',
    ['travel'],
    'flight passport lisbon hotel airport luggage train itinerary visa tokyo museum beach',
  ],
  [
    'finance',
    'en',
    'finance',
    ['money'],
    'mortgage savings taxes pension stocks rent insurance refund salary transfer bank',
  ],
  [
    'garden',
    'en',
    'hobbies',
    ['garden', 'home'],
    'tomatoes balcony seeds compost basil watering soil harvest greenhouse roses',
  ],
  ['music', 'en', 'hobbies', ['music'], 'cello rehearsal concert orchestra scales sheet bach practice tuning recital'],
  ['cooking', 'en', 'food', ['food'], 'recipe sourdough oven risotto spices groceries lasagna baking dough dessert'],
  ['tech', 'en', 'learning', ['tech'], 'laptop keyboard backup router python database server migration encryption'],
  [
    'viaje',
    'es',
    'travel',
    ['travel', 'español'],
    'vuelo pasaporte maleta estación mañana aeropuerto reunión equipaje habitación excursión',
  ],
  [
    'familia',
    'es',
    'family',
    ['family', 'español'],
    'cumpleaños abuela niños cena almuerzo sobrino canción fiesta regalo años',
  ],
  [
    'cuisine',
    'fr',
    'food',
    ['food', 'français'],
    'recette boulangerie crème brûlée fromage marché déjeuner pâtisserie épices café',
  ],
  [
    'travail',
    'fr',
    'work',
    ['work', 'français'],
    'réunion échéance équipe bilan télétravail congés prévision client stratégie',
  ],
  [
    'arbeit',
    'de',
    'work',
    ['work', 'deutsch'],
    'besprechung frist übergabe kündigung gehalt großraumbüro straße prüfung zuständigkeit',
  ],
  [
    'gesundheit',
    'de',
    'health',
    ['health', 'deutsch'],
    'ärztin rücken schlafqualität übung müdigkeit krankenkasse überweisung',
  ],
  [
    'saude',
    'pt',
    'health',
    ['health', 'português'],
    'médica consulta exercício coração pressão alimentação ansiedade remédio',
  ],
  ['viagem', 'pt', 'travel', ['travel', 'português'], 'passagem aeroporto férias ônibus praia maçã coração pão avião'],
  ['shigoto', 'ja', 'work', ['work', '日本語'], '会議 締め切り 資料 上司 出張 予算 企画 報告 新幹線 東京'],
  ['kazoku', 'ja', 'family', ['family', '日本語'], '誕生日 母 父 夕食 旅行 温泉 お弁当 子供 公園 京都'],
];

const SYLLABLES = 'ka lo mi ne ra su ti vo ze pa ge lu bo fi da wen tor mas'.split(' ');
/** A made-up word, unique per (topic, n): the long tail of rare words. */
function tailWord(topic: number, n: number): string {
  let w = SYLLABLES[topic % SYLLABLES.length]!;
  for (let x = n + 1; x > 0; x = Math.floor(x / SYLLABLES.length)) w += SYLLABLES[x % SYLLABLES.length];
  return w;
}

const TAIL = 600;
export const TOPICS: Topic[] = HEADS.map(([name, lang, category, tags, words], t) => ({
  name,
  lang,
  category,
  tags,
  words: [...words.split(' '), ...Array.from({ length: TAIL }, (_, n) => tailWord(t, n))],
}));

const COMMON: [string, number][] = [
  ['the', 0.95],
  ['meeting', 0.6],
  ['coffee', 0.4],
];
const NAMES = 'Dana Miguel Aiko Jonas Amélie Priya Tomás Zoë Björn Chloé Kenji Lucía'.split(' ');
const SPEAKERS = ['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02'];
const ORIGINS = ['sync', 'sync', 'sync', 'webhook', 'local'] as const;

/** Words for one text about `topic`: Zipf-like over its vocabulary, function words, a name. */
function text(r: () => number, topicIndex: number, words: number): string {
  const topic = TOPICS[topicIndex]!;
  const fn = FUNCTION_WORDS[topic.lang];
  const out: string[] = [];
  for (const [w, p] of COMMON) if (r() < p) out.push(w);
  if (r() < 0.3) out.push(NAMES[Math.floor(r() * NAMES.length)]!);
  for (let i = 0; i < words; i++) {
    const x = r();
    // Heads (the first ~12 words) are frequent; the tail is long and thin (x**3 skews to the front).
    if (x < 0.35) out.push(fn[Math.floor(r() * fn.length)]!);
    else out.push(topic.words[Math.floor(topic.words.length * r() ** 3)]!);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  const sentence = out.join(topic.lang === 'ja' ? '' : ' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1) + (topic.lang === 'ja' ? '。' : '.');
}

/** Topics are not equally popular (a Zipf-like pick). */
const pickTopic = (r: () => number) => Math.floor(TOPICS.length * r() ** 1.6);

/** hashedEmbedding (providers/hashed.ts) with each token's hash cached: same vectors, far faster. */
export function cachedEmbedder(dims: number): (text: string) => Float32Array {
  const WORD = /[\p{L}\p{N}]+/gu;
  const buckets = new Map<string, number>();
  const bucket = (token: string) => {
    let b = buckets.get(token);
    if (b === undefined) {
      const h = createHash('sha1').update(token).digest();
      b = (h.readUInt32LE(0) % dims) * (h[4]! & 1 ? 1 : -1) - (h[4]! & 1 ? 0 : 1);
      buckets.set(token, b);
    }
    return b;
  };
  return (t) => {
    const v = new Float32Array(dims);
    for (const word of t.normalize('NFKD').toLowerCase().match(WORD) ?? []) {
      for (const token of word.length > 5 ? [word, `stem:${word.slice(0, 5)}`] : [word]) {
        const b = bucket(token);
        // Positive b is (index, +1); negative is -(index) - 1 for (index, -1).
        if (b >= 0) v[b]! += 1;
        else v[-b - 1]! -= 1;
      }
    }
    return normalize(v);
  };
}

export function generate(db: Db, options: GenerateOptions): GenerateReport {
  const started = performance.now();
  const r = rng(options.seed ?? 1);
  const perConversation = options.segmentsPerConversation ?? 8;
  const years = options.years ?? 4;
  const until = Date.parse(options.until ?? '2026-01-01T00:00:00.000Z');
  const from = until - years * 365 * 86_400_000;
  const embed = options.embeddings ?? true;
  const embedder = cachedEmbedder(DIMS);
  const progress = options.onProgress ?? (() => {});
  const createdAt = new Date(until).toISOString();
  // Generation is rebuildable: durability per commit buys nothing and costs time.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');

  const insertConversation = db.prepare(
    `INSERT INTO conversations (id, created_at, started_at, finished_at, source, language, title, overview, emoji,
       category, status, starred, content_hash, origin, updated_at)
     VALUES (?, ?, ?, ?, 'omi', ?, ?, ?, ?, ?, 'completed', ?, ?, 'sync', ?)`,
  );
  const insertSegment = db.prepare(
    `INSERT INTO transcript_segments (conversation_id, idx, text, speaker, speaker_id, is_user, start_s, end_s)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertMemory = db.prepare(
    `INSERT INTO memories (id, content, category, conversation_id, manually_added, reviewed, origin, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTag = db.prepare('INSERT INTO tags (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
  const tagPk = db.prepare('SELECT pk FROM tags WHERE name = ?').pluck();
  const insertMemoryTag = db.prepare('INSERT OR IGNORE INTO memory_tags (memory_id, tag_pk) VALUES (?, ?)');
  const insertEmbedding = db.prepare(
    `INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, item_pk, model) DO UPDATE SET content_hash = excluded.content_hash RETURNING pk`,
  );
  const vector = (kind: 'memory' | 'conversation', itemPk: number | bigint, t: string) => {
    if (!embed) return;
    const { pk } = insertEmbedding.get(kind, itemPk, GENERATOR_MODEL, DIMS, textHash(t), createdAt) as { pk: number };
    writeVector(db, pk, embedder(t));
  };

  const tagPks = new Map<string, number>();
  db.transaction(() => {
    for (const name of new Set(TOPICS.flatMap((t) => t.tags))) {
      insertTag.run(name, createdAt);
      tagPks.set(name, tagPk.get(name) as number);
    }
  })();

  // Ids carry the seed so two generated sets can share a vault.
  const tag = `g${options.seed ?? 1}`;
  const when = (i: number, n: number) => from + ((i + r()) / Math.max(1, n)) * (until - from);
  const segmentsBefore =
    (db.prepare('SELECT coalesce(max(pk), 0) FROM transcript_segments').pluck().get() as number) ?? 0;
  let segments = 0;
  let embeddings = 0;
  for (let start = 0; start < options.conversations; start += BATCH) {
    db.transaction(() => {
      for (let i = start; i < Math.min(options.conversations, start + BATCH); i++) {
        const topic = pickTopic(r);
        const t = TOPICS[topic]!;
        const at = when(i, options.conversations);
        const started = new Date(at).toISOString();
        const title = text(r, topic, 3 + Math.floor(r() * 4)).replace(/[.。]$/, '');
        const overview = text(r, topic, 20 + Math.floor(r() * 15));
        const id = `${tag}-c${i}`;
        const { lastInsertRowid } = insertConversation.run(
          id,
          started,
          started,
          new Date(at + perConversation * 30_000).toISOString(),
          t.lang,
          title,
          overview,
          '💬',
          t.category,
          r() < 0.05 ? 1 : 0,
          `h${i}`,
          started,
        );
        let s0 = 0;
        for (let s = 0; s < perConversation; s++) {
          const length = 5 + r() * 25;
          const speaker = Math.floor(r() * SPEAKERS.length);
          insertSegment.run(
            id,
            s,
            text(r, topic, 10 + Math.floor(r() * 15)),
            SPEAKERS[speaker],
            speaker,
            speaker === 0 ? 1 : 0,
            s0,
            s0 + length,
          );
          s0 += length + r() * 3;
          segments++;
        }
        vector('conversation', lastInsertRowid, `${title}\n${overview}`);
        embeddings += embed ? 1 : 0;
      }
    })();
    progress({
      phase: 'conversations',
      done: Math.min(options.conversations, start + BATCH),
      total: options.conversations,
    });
  }
  for (let start = 0; start < options.memories; start += BATCH) {
    db.transaction(() => {
      for (let i = start; i < Math.min(options.memories, start + BATCH); i++) {
        const topic = pickTopic(r);
        const t = TOPICS[topic]!;
        const at = new Date(when(i, options.memories)).toISOString();
        const content = text(r, topic, 25 + Math.floor(r() * 20));
        const id = `${tag}-m${i}`;
        const conversation =
          options.conversations > 0 && r() < 0.7 ? `${tag}-c${Math.floor(r() * options.conversations)}` : null;
        const { lastInsertRowid } = insertMemory.run(
          id,
          content,
          t.category,
          conversation,
          conversation ? 0 : 1,
          r() < 0.5 ? 1 : 0,
          ORIGINS[Math.floor(r() * ORIGINS.length)],
          at,
          at,
        );
        const tags = r() < 0.6 ? t.tags.slice(0, 1 + Math.floor(r() * t.tags.length)) : [];
        for (const name of tags) insertMemoryTag.run(id, tagPks.get(name));
        vector('memory', lastInsertRowid, content);
        embeddings += embed ? 1 : 0;
      }
    })();
    progress({ phase: 'memories', done: Math.min(options.memories, start + BATCH), total: options.memories });
  }
  indexSegments(db, segmentsBefore);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('synchronous = FULL');
  return {
    memories: options.memories,
    conversations: options.conversations,
    segments,
    tags: tagPks.size,
    embeddings,
    model: GENERATOR_MODEL,
    ms: performance.now() - started,
  };
}

/**
 * Segments are indexed by a background indexer behind a watermark (migration 0040), not by a
 * trigger: index the new ones in one statement and move the watermark past them, when the index was
 * caught up before (otherwise the indexer still has older work and will reach these rows itself).
 */
function indexSegments(db: Db, before: number): void {
  const trigger = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'segments_fts_insert'")
    .get();
  const state = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'segment_index_state'").get();
  if (trigger || !state) return;
  db.transaction(() => {
    const through = db.prepare('SELECT indexed_through FROM segment_index_state WHERE id = 1').pluck().get() as
      number | undefined;
    if (through !== undefined && through < before) return;
    db.prepare('INSERT INTO fts_segments (rowid, text) SELECT pk, text FROM transcript_segments WHERE pk > ?').run(
      before,
    );
    db.prepare(
      'INSERT INTO segment_index_state (id, indexed_through) SELECT 1, coalesce(max(pk), 0) FROM transcript_segments WHERE true ON CONFLICT (id) DO UPDATE SET indexed_through = excluded.indexed_through',
    ).run();
  })();
}
