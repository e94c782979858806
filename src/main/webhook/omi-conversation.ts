// OMI's Conversation object (webhook body, Developer API item, OMI export) parsed into the shape the
// conversations repo stores. Lenient by design: unknown keys are kept in the raw payload and never
// cause a rejection; unknown categories become "other"; missing optional parts default to empty.
// Only what we cannot store meaningfully (no id, wrong types, impossible dates) is a validation error.
import { z } from 'zod';
import type { Result } from '../../shared/result';

export const CONVERSATION_CATEGORIES = [
  'personal',
  'education',
  'health',
  'finance',
  'legal',
  'philosophy',
  'spiritual',
  'science',
  'entrepreneurship',
  'parenting',
  'romance',
  'travel',
  'inspiration',
  'technology',
  'business',
  'social',
  'work',
  'sports',
  'politics',
  'literature',
  'history',
  'architecture',
  'music',
  'weather',
  'news',
  'entertainment',
  'psychology',
  'real',
  'design',
  'family',
  'economics',
  'environment',
  'other',
] as const;
const categories = new Set<string>(CONVERSATION_CATEGORIES);

// OMI sends ISO 8601 with an offset, except in a few places (day summaries) where it sends a naive
// time that is UTC on its servers. Read offset-less values as UTC so the machine's zone never matters.
export const isoDate = z
  .string()
  .max(64)
  .transform((s) => (/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(s.trim()) ? `${s.trim()}Z` : s))
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date')
  .transform((s) => new Date(s).toISOString());
const optDate = isoDate.nullish().transform((v) => v ?? null);
const optText = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const num = z.number().refine(Number.isFinite, 'not a finite number');

export const SegmentIn = z.looseObject({
  id: z.union([z.string(), z.number()]).nullish(),
  text: z.string(),
  speaker: optText,
  speaker_id: z.number().int().nullish(),
  speakerId: z.number().int().nullish(),
  is_user: z.boolean().nullish(),
  person_id: optText,
  start: num.nullish(),
  end: num.nullish(),
});

const ActionItemIn = z.looseObject({
  description: z.string(),
  completed: z.boolean().nullish(),
  created_at: optDate,
  updated_at: optDate,
  due_at: optDate,
  completed_at: optDate,
});

const EventIn = z.looseObject({
  title: z.string(),
  description: optText,
  start: optDate,
  duration: num.nullish(),
  created: z.boolean().nullish(),
});

const GeolocationIn = z.looseObject({ latitude: num, longitude: num }).nullish();

export const OmiConversation = z.looseObject({
  id: z.string().min(1).max(200),
  created_at: isoDate.nullish(),
  started_at: optDate,
  finished_at: optDate,
  source: optText,
  language: optText,
  status: optText,
  visibility: optText,
  discarded: z.boolean().nullish(),
  starred: z.boolean().nullish(),
  geolocation: GeolocationIn,
  structured: z
    .looseObject({
      title: optText,
      overview: optText,
      emoji: optText,
      category: optText,
      action_items: z.array(ActionItemIn).nullish(),
      events: z.array(EventIn).nullish(),
    })
    .nullish(),
  transcript_segments: z.array(SegmentIn).nullish(),
});

export interface NormalizedSegment {
  segmentId: string | null;
  text: string;
  speaker: string | null;
  speakerId: number | null;
  isUser: boolean;
  personId: string | null;
  start: number;
  end: number;
}

export interface NormalizedConversation {
  id: string;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  source: string | null;
  language: string | null;
  title: string;
  overview: string;
  emoji: string | null;
  category: string;
  status: string | null;
  visibility: string | null;
  discarded: boolean;
  starred: boolean;
  geolocation: Record<string, unknown> | null;
  segments: NormalizedSegment[];
  actionItems: {
    description: string;
    completed: boolean;
    createdAt: string | null;
    updatedAt: string | null;
    dueAt: string | null;
    completedAt: string | null;
  }[];
  events: {
    title: string;
    description: string;
    start: string | null;
    durationMinutes: number | null;
    created: boolean;
  }[];
  /** The payload exactly as received, kept for fidelity and re-processing. */
  raw: unknown;
}

export function normalizeSegment(g: z.infer<typeof SegmentIn>): NormalizedSegment {
  return {
    segmentId: g.id == null ? null : String(g.id),
    text: g.text,
    speaker: g.speaker,
    speakerId: g.speaker_id ?? g.speakerId ?? null,
    isUser: g.is_user ?? false,
    personId: g.person_id,
    start: g.start ?? 0,
    end: g.end ?? g.start ?? 0,
  };
}

export function describe(error: z.ZodError, what: string): string {
  const first = error.issues[0];
  const where = first?.path.length ? first.path.join('.') : 'body';
  return `invalid ${what} at ${where}: ${first?.message ?? 'unknown problem'}`;
}

export function normalizeOmiConversation(input: unknown): Result<NormalizedConversation> {
  const parsed = OmiConversation.safeParse(input);
  if (!parsed.success)
    return { ok: false, error: { code: 'VALIDATION', message: describe(parsed.error, 'OMI conversation') } };
  const c = parsed.data;
  const s = c.structured;
  const category = s?.category && categories.has(s.category) ? s.category : 'other';
  return {
    ok: true,
    value: {
      id: c.id,
      createdAt: c.created_at ?? null,
      startedAt: c.started_at,
      finishedAt: c.finished_at,
      source: c.source,
      language: c.language,
      title: s?.title ?? '',
      overview: s?.overview ?? '',
      emoji: s?.emoji ?? null,
      category,
      status: c.status,
      visibility: c.visibility,
      discarded: c.discarded ?? false,
      starred: c.starred ?? false,
      geolocation: c.geolocation ?? null,
      segments: (c.transcript_segments ?? []).map(normalizeSegment),
      actionItems: (s?.action_items ?? []).map((a) => ({
        description: a.description,
        completed: a.completed ?? false,
        createdAt: a.created_at,
        updatedAt: a.updated_at,
        dueAt: a.due_at,
        completedAt: a.completed_at,
      })),
      events: (s?.events ?? []).map((e) => ({
        title: e.title,
        description: e.description ?? '',
        start: e.start,
        durationMinutes: e.duration ?? null,
        created: e.created ?? false,
      })),
      raw: input,
    },
  };
}
