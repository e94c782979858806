// A word-level diff for the memory history: the longest common subsequence of words (whitespace kept
// as its own tokens), so an edit shows as a few struck and inserted words rather than two paragraphs.
// Memories are at most 10,000 characters; past a size where the table would be large, the whole text
// counts as replaced.
export interface DiffPart {
  text: string;
  op: 'same' | 'del' | 'ins';
}

const MAX_CELLS = 1_000_000;

export function diffWords(before: string, after: string): DiffPart[] {
  const a = before.split(/(\s+)/).filter((t) => t !== '');
  const b = after.split(/(\s+)/).filter((t) => t !== '');
  if (a.length * b.length > MAX_CELLS) return merge([...(before ? [del(before)] : []), ...(after ? [ins(after)] : [])]);
  // lcs[i][j]: the LCS length of a[i..] and b[j..], in one flat array.
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const parts: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      parts.push({ text: a[i]!, op: 'same' });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) parts.push(del(a[i++]!));
    else parts.push(ins(b[j++]!));
  }
  while (i < a.length) parts.push(del(a[i++]!));
  while (j < b.length) parts.push(ins(b[j++]!));
  return merge(parts);
}

const del = (text: string): DiffPart => ({ text, op: 'del' });
const ins = (text: string): DiffPart => ({ text, op: 'ins' });

/** Joins neighbours with the same op, so the output is a few runs. */
function merge(parts: DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last && last.op === part.op) last.text += part.text;
    else out.push({ ...part });
  }
  return out;
}
