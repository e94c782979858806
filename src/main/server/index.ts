// Headless mode: the webhook listener for one unlocked profile, run by `angel-memory serve`. The
// listener binds to loopback only; OMI reaches it through the user's tunnel.
import { readSetting } from '../db/repos/settings';
import type { Core } from '../core';
import { DEFAULT_WEBHOOK_PORT } from '../core/profile-settings';
import type { Logger } from '../logging';
import { createWebhookListener, type WebhookListener } from '../webhook/listener';

export interface HeadlessOptions {
  core: Core;
  profileId: string;
  /** Overrides the profile's `webhook.port` setting; 0 picks a free port. */
  webhookPort?: number;
  logger: Logger;
}

export interface Headless {
  webhookUrl: string;
  listener: WebhookListener;
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
  const secret = new URL(core.webhookUrl(profileId)).pathname.split('/').at(-1)!;
  return {
    webhookUrl: `${listener.url}/omi/${secret}`,
    listener,
    close: () => listener.close(),
  };
}
