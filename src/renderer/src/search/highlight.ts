// Splits a snippet into plain and highlighted parts from [start, end) offsets (UTF-16 code units, as
// search.query returns them). Overlapping or out-of-range offsets are clamped, never thrown on.
export interface Part {
  text: string;
  hit: boolean;
}

export function splitHighlights(text: string, highlights: readonly (readonly [number, number])[]): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const [rawStart, rawEnd] of [...highlights].sort((a, b) => a[0] - b[0])) {
    const start = Math.max(at, Math.min(text.length, rawStart));
    const end = Math.max(start, Math.min(text.length, rawEnd));
    if (end === start) continue;
    if (start > at) parts.push({ text: text.slice(at, start), hit: false });
    parts.push({ text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}
