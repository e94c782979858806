// `webhook url | rotate`: the address OMI should call for a profile, and replacing its secret (the
// old address stops working at once; paste the new one into OMI's developer settings).
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { withProfile, type ProfileOption } from '../options';

const KINDS = ['conversation', 'transcript', 'audio', 'day-summary'];

function urlText(r: { webhookUrl: string }): string {
  return [`base     ${r.webhookUrl}`, ...KINDS.map((k) => `${k.padEnd(8)} ${r.webhookUrl}/${k}`)].join('\n');
}

export function registerWebhook(program: Command, ctx: CliContext): void {
  const webhook = program.command('webhook').description("the profile's OMI webhook address");

  withProfile(webhook.command('url').description('print the webhook URLs to paste into OMI')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      ctx.out().result({ webhookUrl: ctx.host().core.webhookUrl(profileId) }, urlText);
    },
  );

  withProfile(webhook.command('rotate').description('replace the webhook secret; the old URL stops working')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      ctx.out().result({ webhookUrl: ctx.host().core.rotateWebhookSecret(profileId) }, urlText);
    },
  );
}
