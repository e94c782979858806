// What must not leave the machine: before text goes to a remote provider (Gemini), e-mail addresses,
// phone numbers and the user's "never send" words are replaced by placeholders. Redaction is on by
// default; a local provider (Ollama) gets the text as it is. The patterns favour over-redacting: a
// number that looks like a phone number is cheaper to lose from an embedding than to leak.
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
// Seven or more digits with the usual separators, optionally with a leading + or (area code).
const PHONE = /(?<![\p{L}\p{N}])\+?\(?\d[\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function redact(text: string, neverSend: readonly string[] = []): string {
  let out = text.replace(EMAIL, '[email]');
  out = out.replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[phone]' : m));
  const words = neverSend.map((w) => w.trim()).filter((w) => w.length > 0);
  if (words.length > 0) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
    out = out.replace(re, '[redacted]');
  }
  return out;
}
