// Headless mode: the webhook listener for one unlocked profile, run by `angel-memory serve`, and the
// browser UI (ui.ts) on a second port. Both bind to loopback only; OMI reaches the listener through
// the user's tunnel. The two ports never share routes: the listener has no /rpc, the UI no /omi.
import { readSetting } from '../db/repos/settings';
import type { Core } from '../core';
import { DEFAULT_WEBHOOK_PORT } from '../core/profile-settings';
import type { Logger } from '../logging';
import { createWebhookListener, type WebhookListener } from '../webhook/listener';
import { createUiServer, type UiServer } from './ui';

export interface HeadlessOptions {
  core: Core;
  profileId: string;
  /** Overrides the profile's `webhook.port` setting; 0 picks a free port. */
  webhookPort?: number;
  /** Serves the browser UI on this port (0 picks a free port); no UI when undefined. */
  uiPort?: number;
  /** The built renderer served to the browser (out/renderer). */
  rendererDir?: string;
  /** Runs the OMI sync scheduler for the profile (serve without --no-sync). */
  sync?: boolean;
  logger: Logger;
}

export interface Headless {
  webhookUrl: string;
  listener: WebhookListener;
  /** The page to open, with the run's bearer token in the fragment; null without a UI. */
  uiUrl: string | null;
  ui: UiServer | null;
  /** Stops accepting deliveries and waits for the ones in flight to be committed. */
  close(): Promise<void>;
}

export async function startHeadless(options: HeadlessOptions): Promise<Headless> {
  const { core, profileId } = options;
  const configured = readSetting(core.vault.session(profileId).db, 'webhook.port');
  const listener = await createWebhookListener({
    port: options.webhookPort ?? (typeof configured === 'number' ? configured : DEFAULT_WEBHOOK_PORT),
    route: (secret) => core.webhook.route(secret),
    allowedHosts: () => core.webhook.allowedHosts(),
    now: () => new Date(),
    logger: options.logger,
  });
  // With --webhook-port (0 or another port) the URL the UI shows must be the one listening.
  core.setListenerPort(listener.port);
  let ui: UiServer | null = null;
  if (options.uiPort !== undefined) {
    if (!options.rendererDir) throw new Error('the browser UI needs the built renderer folder');
    try {
      ui = await createUiServer({
        port: options.uiPort,
        core,
        rendererDir: options.rendererDir,
        logger: options.logger,
      });
    } catch (err) {
      await listener.close();
      core.setListenerPort(null);
      throw err;
    }
  }
  // Sync starts last: a pass at start, then on its schedule; close() stops it before the listener.
  if (options.sync) core.sync.start(profileId);
  // Background embedding through the outbox (idle while the profile has no embedding provider).
  core.search.relay.start(profileId);
  // Searches rank on two threads for as long as this host runs (a CLI host starts with it off).
  core.search.useWorker(true);
  // WAL checkpoints off the event loop, so no acknowledgement waits for one.
  core.checkpointInBackground(true);
  // Automatic encrypted backups of this profile, when due (backup.intervalHours, default daily).
  const backups = core.archive.startScheduler({
    setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    profiles: () => [profileId],
  });
  const secret = new URL(core.webhookUrl(profileId)).pathname.split('/').at(-1)!;
  return {
    webhookUrl: `${listener.url}/omi/${secret}`,
    listener,
    uiUrl: ui?.pageUrl ?? null,
    ui,
    close: async () => {
      await backups.stop();
      if (options.sync) await core.sync.stop(profileId);
      await core.search.relay.stop(profileId);
      await Promise.all([listener.close(), ui?.close()]);
      core.setListenerPort(null);
    },
  };
}
