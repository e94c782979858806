// The non-conversation webhook bodies. Realtime transcripts come in two shapes (OMI's code sends
// `{session_id, segments}`, its docs a bare array with `?session_id=`); both are accepted. The day
// summary carries a naive ISO timestamp (no offset), read as UTC.
import { z } from 'zod';
import type { Result } from '../../shared/result';
import { describe, isoDate, normalizeSegment, SegmentIn, type NormalizedSegment } from './omi-conversation';

const TranscriptObject = z.looseObject({
  session_id: z.string().max(200).nullish(),
  segments: z.array(SegmentIn).max(5000),
});
const TranscriptArray = z.array(SegmentIn).max(5000);

export interface Transcript {
  sessionId: string | null;
  segments: NormalizedSegment[];
}

export function parseTranscript(body: unknown, querySessionId: string | null): Result<Transcript> {
  const asArray = TranscriptArray.safeParse(body);
  if (asArray.success)
    return { ok: true, value: { sessionId: querySessionId, segments: asArray.data.map(normalizeSegment) } };
  const asObject = TranscriptObject.safeParse(body);
  if (!asObject.success) {
    return { ok: false, error: { code: 'VALIDATION', message: describe(asObject.error, 'realtime transcript') } };
  }
  return {
    ok: true,
    value: {
      sessionId: asObject.data.session_id ?? querySessionId,
      segments: asObject.data.segments.map(normalizeSegment),
    },
  };
}

const DaySummaryIn = z.looseObject({
  summary: z.string().max(100_000),
  uid: z.string().max(200).nullish(),
  created_at: isoDate.nullish(),
});

export interface DaySummary {
  summary: string;
  uid: string | null;
  createdAt: string | null;
}

export function parseDaySummary(body: unknown): Result<DaySummary> {
  const parsed = DaySummaryIn.safeParse(body);
  if (!parsed.success)
    return { ok: false, error: { code: 'VALIDATION', message: describe(parsed.error, 'day summary') } };
  return {
    ok: true,
    value: { summary: parsed.data.summary, uid: parsed.data.uid ?? null, createdAt: parsed.data.created_at ?? null },
  };
}
