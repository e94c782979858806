// `settings get | set`: per-profile settings stored in the encrypted vault. A secret's value is never
// shown (only whether it is set), and is accepted only from stdin so it stays out of shell history
// and the process list.
import type { Command } from 'commander';
import { settingDefinition } from '../../core/profile-settings';
import { AppError } from '../../errors';
import { ACTOR, type CliContext } from '../context';
import { readSecret, readText } from '../io';
import { withProfile, type ProfileOption } from '../options';

interface Shown {
  key: string;
  secret: boolean;
  set: boolean;
  /** null when unset, and always null for a secret. */
  value: unknown;
}

function show(ctx: CliContext, profileId: string, key: string): Shown {
  return ctx.host().core.settings.get(profileId, key);
}

function shownText(s: Shown): string {
  if (!s.set) return `${s.key} is not set`;
  if (s.secret) return `${s.key} is set (secret; the value is never shown)`;
  return `${s.key} = ${typeof s.value === 'string' ? s.value : JSON.stringify(s.value)}`;
}

export function registerSettings(program: Command, ctx: CliContext): void {
  const settings = program.command('settings').description('read and change per-profile settings');

  withProfile(settings.command('get').description('show a setting (a secret only says whether it is set)'))
    .argument('<key>', 'e.g. omi.apiKey, omi.uid, webhook.tunnelHost, embedding.provider, gemini.apiKey')
    .action(async (key: string, opts: ProfileOption) => {
      // An unknown key fails before the slow unlock.
      settingDefinition(key);
      const profileId = await ctx.unlock(opts.profile);
      ctx.out().result(show(ctx, profileId, key), shownText);
    });

  withProfile(
    settings.command('set').description('change a setting; VALUE "-" reads it from stdin (required for secrets)'),
  )
    .argument('<key>', 'the setting')
    .argument('<value>', 'the new value, or "-" for stdin')
    .action(async (key: string, value: string, opts: ProfileOption) => {
      const { secret } = settingDefinition(key);
      if (secret && value !== '-') {
        throw new AppError(
          'BAD_INPUT',
          `${key} is a secret: pass "-" as the value and give it on stdin, so it stays out of shell history and the process list`,
        );
      }
      const profileId = await ctx.unlock(opts.profile);
      const text = value !== '-' ? value : secret ? await readSecret(ctx.io, key) : await readText(ctx.io, key);
      ctx.host().core.settings.set(profileId, key, text, ACTOR);
      ctx.out().result(show(ctx, profileId, key), (s) => (s.secret ? `${s.key} saved.` : `${shownText(s)} (saved)`));
    });
}
