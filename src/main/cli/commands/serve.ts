// `serve`: runs the webhook listener for one profile and the browser UI until SIGTERM or SIGINT, then
// stops accepting, lets the deliveries and UI calls in flight commit, and exits 0. With --json it
// prints one ready line {"webhookUrl","uiUrl","pid"} once both accept connections. uiUrl carries the
// run's bearer token in its fragment: it is printed for the user, never logged.
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { startHeadless } from '../../server';
import { DEFAULT_UI_PORT } from '../../server/ui';
import type { CliContext } from '../context';
import { fields } from '../format';
import { withProfile, type ProfileOption } from '../options';

interface ServeOptions extends ProfileOption {
  webhookPort?: number;
  uiPort: number;
  ui: boolean;
  sync: boolean;
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

const stopSignal = () =>
  new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

export function registerServe(program: Command, ctx: CliContext): void {
  withProfile(program.command('serve').description('receive OMI webhooks for a profile until stopped'))
    .option(
      '--webhook-port <port>',
      'listener port (default: the profile setting webhook.port, else 8787; 0 = any free port)',
      port,
    )
    .option('--ui-port <port>', 'port for the browser UI (0 = any free port)', port, DEFAULT_UI_PORT)
    .option('--no-ui', 'do not serve the browser UI')
    .option('--no-sync', 'do not reconcile with the OMI API')
    .action(async (opts: ServeOptions) => {
      const profileId = await ctx.unlock(opts.profile);
      const host = ctx.host();
      const signal = stopSignal();
      const headless = await startHeadless({
        core: host.core,
        profileId,
        webhookPort: opts.webhookPort,
        uiPort: opts.ui ? opts.uiPort : undefined,
        // The CLI is bundled to out/main/cli.js, beside the built renderer in out/renderer.
        rendererDir: join(import.meta.dirname, '../renderer'),
        sync: opts.sync,
        logger: host.logger,
      });
      const ready = { webhookUrl: headless.webhookUrl, uiUrl: headless.uiUrl, pid: process.pid };
      if (ctx.out().json) ctx.io.stdout.write(`${JSON.stringify(ready)}\n`);
      else
        ctx.io.stdout.write(
          `${fields([
            ['webhook', ready.webhookUrl],
            ['ui', ready.uiUrl ?? 'off'],
            ['pid', String(ready.pid)],
          ])}\nstop with Ctrl+C\n`,
        );
      host.logger.info({ profileId, port: headless.listener.port, uiPort: headless.ui?.port ?? null }, 'serving');
      const received = await signal;
      host.logger.info({ signal: received }, 'stopping');
      await headless.close();
    });
}
