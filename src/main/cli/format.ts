// Plain-text layout for human output: aligned columns and label/value blocks, nothing fancier, so the
// text stays readable in a terminal, a log and a pipe to grep.

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `label  value` lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  return table(pairs.map(([k, v]) => [k, v]));
}

/** One line, at most `max` characters: for previews of longer text in lists. */
export function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export const orDash = (value: string | null | undefined): string => (value ? value : '-');

/** The footer of a paged list: what is shown out of how many. */
export function pageFooter(shown: number, offset: number, total: number, noun: string): string {
  if (total === 0) return `no ${noun}`;
  if (shown === 0) return `no ${noun} from offset ${offset} (${total} in all)`;
  return `${offset + 1}-${offset + shown} of ${total} ${noun}`;
}

/** Indents every line of a block of text. */
export const indent = (text: string, by = '  '): string =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
