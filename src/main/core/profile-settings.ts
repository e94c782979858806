// The per-profile settings the app knows, each with its schema and whether it is secret. Unknown keys
// are refused so a typo cannot silently do nothing.
import { z } from 'zod';
import { AppError } from '../errors';
import type { ProfileFile } from '../profiles/registry';

export const PROFILE_SETTINGS = {
  'omi.apiKey': {
    schema: z.string().regex(/^omi_dev_\S+$/, 'an OMI developer key starts with omi_dev_'),
    secret: true,
  },
  'omi.uid': { schema: z.string().min(1).max(200), secret: false },
  'omi.apiUrl': { schema: z.url(), secret: false },
  'webhook.tunnelHost': {
    schema: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'a host name such as abc.trycloudflare.com'),
    secret: false,
  },
  'webhook.port': { schema: z.coerce.number().int().min(1).max(65535), secret: false },
  'webhook.signingSecret': {
    schema: z.string().regex(/^whsec_\S{8,}$/, 'a signing secret starts with whsec_'),
    secret: true,
  },
  'webhook.requireSignature': { schema: z.stringbool(), secret: false },
  'audio.store': { schema: z.stringbool(), secret: false },
  'webhook.replyMessage': { schema: z.string().max(200), secret: false },
  'embedding.provider': { schema: z.enum(['gemini', 'ollama', 'none']), secret: false },
  'gemini.apiKey': { schema: z.string().min(10).max(200), secret: true },
  'ollama.model': { schema: z.string().min(1).max(200), secret: false },
  // Redaction before text goes to a remote embedding provider (src/main/search/providers/redact.ts):
  // e-mails and phone numbers always, plus these comma-separated words; redact=false turns it off.
  'embedding.redact': { schema: z.stringbool(), secret: false },
  'embedding.neverSend': { schema: z.string().max(4000), secret: false },
  // Characters per UTC day that may go to the embedding provider; embedding pauses when reached.
  'embedding.dailyCharacters': { schema: z.coerce.number().int().min(0), secret: false },
  // Automatic encrypted backups (src/main/archive/backups.ts): 0 hours turns them off.
  'backup.intervalHours': { schema: z.coerce.number().int().min(0).max(8760), secret: false },
  'backup.keepDays': { schema: z.coerce.number().int().min(1).max(3650), secret: false },
} as const;

export type SettingKey = keyof typeof PROFILE_SETTINGS;

export function settingDefinition(key: string) {
  if (!Object.hasOwn(PROFILE_SETTINGS, key)) {
    throw new AppError('BAD_INPUT', `unknown setting "${key}"; known: ${Object.keys(PROFILE_SETTINGS).join(', ')}`);
  }
  return PROFILE_SETTINGS[key as SettingKey];
}

/** Settings arrive as text (CLI, forms); parse JSON where it is JSON, else keep the string. */
export function parseSettingValue(key: string, text: string): unknown {
  const def = settingDefinition(key);
  const parsed = def.schema.safeParse(text);
  if (!parsed.success) {
    throw new AppError('BAD_INPUT', `invalid value for ${key}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export const DEFAULT_WEBHOOK_PORT = 8787;

/** Settings copied into profile.json, where the listener reads them without unlocking. */
export const PUBLIC_MIRRORS: Partial<Record<string, (p: ProfileFile, value: unknown) => ProfileFile>> = {
  'omi.uid': (p, v) => ({ ...p, omiUid: v as string }),
  'webhook.tunnelHost': (p, v) => ({ ...p, webhook: { ...p.webhook, tunnelHost: (v as string).toLowerCase() } }),
  'webhook.requireSignature': (p, v) => ({ ...p, webhook: { ...p.webhook, requireSignature: v as boolean } }),
};
