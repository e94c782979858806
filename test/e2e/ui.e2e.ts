// The real UI end to end: `angel-memory serve` on a temporary data dir with a passphrase profile and
// fixture data, driven in Chromium through playwright-core (the system browser: CHROMIUM_PATH, else
// /usr/bin/chromium; nothing is downloaded). The page talks to the very core and contract the desktop
// app uses, over the headless HTTP transport. Each flow saves a screenshot to test-results/ for a human
// to look at.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFailed, test } from 'vitest';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import { startFakeOllama } from '../fakes/ollama-server';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startServe, type Served } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { json, send } from '../support/http';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-results');
const PASS = 'e2e passphrase for Ada';
const ARCHIVE_PASS = 'archive passphrase';
const BULK = 2_000;
const BULK_PASS = 'e2e passphrase for the bulk profile';
const FIXTURE_MEMORIES = [
  'Prefers oat milk in coffee',
  'Dentist appointment moved to the first Tuesday of March',
  'The spring hardware order needs 500 units before the end of March',
];
const CONVERSATION_TITLE = 'Vendor call about the spring hardware order';
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures', name), 'utf8');

const dir = tempDir('angel-memory-e2e-');
let browser: Browser | undefined;
let served: Served | undefined;
/** Semantic and hybrid search run for real: Ada embeds with a fake Ollama on 127.0.0.1. */
let ollama: FakeEmbeddingServer | undefined;
const problems: string[] = [];
/** While the server restarts, the page's event stream fails to reconnect: expected, not a problem. */
let restarting = false;

/** Saves a screenshot and runs axe-core over the page: any serious or critical violation is a problem. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (name.startsWith('failure')) return;
  for (const violation of await axeViolations(page)) problems.push(`${name}: axe ${violation}`);
}

const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js');

/** Serious and critical axe-core violations on the page as it is now, one line each. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.addScriptTag({ path: AXE });
  return page.evaluate<string[]>(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
        .map((n) => n.target.join(' ') + ' [' + (n.any[0]?.message ?? n.failureSummary ?? '') + ']').join(' | '));
  })()`);
}

/** A browser context that may talk to 127.0.0.1 only; axe-core is injected past the page's CSP. */
async function newContext() {
  const context = await browser!.newContext({
    viewport: { width: 1200, height: 820 },
    // Reduced motion: screenshots show settled controls, not a sliding indicator or a fading modal.
    reducedMotion: 'reduce',
    // The page's CSP forbids inline scripts, which is how axe-core is injected for the scan.
    bypassCSP: true,
  });
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      problems.push(`request to ${route.request().url()}`);
      return route.abort();
    },
  );
  return context;
}

async function stopServe() {
  if (!served) return;
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  served = undefined;
}

/** Clicks one option of a Mantine SegmentedControl by its visible label. */
async function segment(page: Page, label: string) {
  await page.locator('.mantine-SegmentedControl-label', { hasText: new RegExp(`^${label}$`) }).click();
}

/** Adds a tag to the browse filter's tags input. */
async function addTagFilter(page: Page, tag: string) {
  const input = page.getByRole('combobox', { name: 'Tags' });
  await input.fill(tag);
  await input.press('Enter');
  await input.press('Escape');
}

/** Picks one option of a Mantine MultiSelect by its label. */
async function pick(page: Page, label: string, option: string) {
  // The visible box around the input takes the click; the input itself is what has the name.
  await page.getByRole('combobox', { name: label }).click({ force: true });
  await page.getByRole('option', { name: option }).click();
  await page.keyboard.press('Escape');
}

async function nav(page: Page, label: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // The fixture vault, written through the core exactly as the app writes it.
  const t = makeCore(dir.path);
  try {
    const { profile } = must(
      await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }),
    );
    ollama = await startFakeOllama();
    // serve inherits the environment: its embedding relay and search talk to the fake.
    process.env.ANGEL_MEMORY_OLLAMA_URL = ollama.url;
    must(await t.core.invoke('settings.set', { profileId: profile.id, key: 'embedding.provider', value: 'ollama' }));
    for (const content of FIXTURE_MEMORIES) {
      must(await t.core.invoke('memories.create', { profileId: profile.id, content, tags: ['fixture'] }));
    }
    const conversation: unknown = JSON.parse(fixture('conversation-created.json'));
    // A second, locked profile with enough memories to page through the virtualized list.
    const bulk = must(
      await t.core.invoke('profiles.create', {
        name: 'Bulk',
        protection: { kind: 'passphrase', passphrase: BULK_PASS },
      }),
    );
    for (let i = 0; i < BULK; i++) {
      const content = `Bulk memory ${String(i).padStart(4, '0')}`;
      must(await t.core.invoke('memories.create', { profileId: bulk.profile.id, content, tags: [`batch-${i % 10}`] }));
    }
    upsertConversation(t.core.vault.session(profile.id).db, must(normalizeOmiConversation(conversation)), 'webhook', {
      now: () => new Date(),
      actor: 'test',
    });
  } finally {
    await t.close();
  }

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await ollama?.close();
  served?.child.kill('SIGKILL');
  dir.remove();
});

// --no-sync: no OMI account here, and the suite talks to 127.0.0.1 only.
test('unlock, browse, read a conversation, edit a memory, live, replay, export and import, settings, lock', async () => {
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  expect(served.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=/);
  // The same contract the page uses, for checks the page does not show.
  const { origin, hash } = new URL(served.uiUrl);
  const rpc = async (channel: string, input: unknown) => {
    const res = await fetch(`${origin}/rpc/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hash.slice('#token='.length)}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return must((await res.json()) as Parameters<typeof must>[0]);
  };

  // Nothing leaves the machine: any request to another origin fails the test.
  const context = await newContext();
  const page = await context.newPage();
  onTestFailed(async () => {
    await shot(page, 'failure');
    console.log(problems);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !(restarting && msg.text().includes('ERR_CONNECTION_REFUSED')))
      problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  // serve unlocked the profile it serves; the token moved out of the address bar.
  await page.goto(served.uiUrl);
  const ada = page.locator('.profile-row', { hasText: 'Ada' });
  await expect.poll(() => ada.locator('.badge').textContent()).toBe('Unlocked');
  expect(page.url()).not.toContain('token');
  await shot(page, '01-profiles');

  // Browse: the fixture memories, the counts, the tag filter.
  await ada.getByRole('button', { name: 'Open' }).click();
  for (const content of FIXTURE_MEMORIES) await page.getByText(content).waitFor();
  await expect.poll(() => page.locator('.stats').textContent()).toMatch(/Memories\s*3\s*Conversations\s*1/);
  await addTagFilter(page, 'nothing-tagged-so');
  await page.getByText('No memories match these filters.').waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await addTagFilter(page, 'fixture');
  await expect.poll(() => page.locator('.memory').count()).toBe(3);
  await pick(page, 'Source', 'OMI sync');
  await page.getByText('No memories match these filters.').waitFor();
  await pick(page, 'Source', 'Added here');
  await expect.poll(() => page.locator('.memory').count()).toBe(3);
  await shot(page, '02-browse-memories-filtered');
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // The conversations timeline, then one conversation.
  await segment(page, 'Conversations');
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await page.getByText(CONVERSATION_TITLE).waitFor();
  await page.locator('label', { hasText: /^Starred$/ }).click();
  await page.getByText('No conversations match these filters.').waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByText(CONVERSATION_TITLE).waitFor();
  await shot(page, '03-browse-conversations');
  await page.getByText(CONVERSATION_TITLE).click();
  await page.getByRole('heading', { level: 1, name: CONVERSATION_TITLE }).waitFor();
  await page.getByText('Can we get the 500 units before the end of March?').waitFor();
  expect(await page.locator('.segment').count()).toBe(3);
  // Tick the action item off; it stays ticked after a reload of the conversation.
  const item = page.getByRole('checkbox', { name: /Send Dana the revised pricing sheet/ });
  expect(await item.isChecked()).toBe(false);
  // The box follows the saved state: it turns checked once the main process has stored the change.
  await item.click();
  await expect.poll(() => item.isChecked(), { timeout: 10_000 }).toBe(true);
  // Where it happened, what OMI apps made of it, and the payload as received.
  await page.getByText('Alexanderplatz, Berlin, Germany').waitFor();
  await page.getByText('Key numbers: 500 units, 6-week lead time.').waitFor();
  await shot(page, '04-conversation');
  await page.getByRole('button', { name: 'Show raw payload' }).click();
  expect(await page.getByRole('region', { name: 'Raw payload' }).textContent()).toContain('"apps_results"');
  await shot(page, '04-conversation-raw-payload');
  await page.getByRole('button', { name: 'Hide raw payload' }).click();

  // Edit a memory, see its history, restore the first version.
  await nav(page, 'Browse');
  await page.getByText(FIXTURE_MEMORIES[0]!).click();
  await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
  await page.getByLabel('Content').fill('Prefers oat milk in coffee, never soy');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => page.locator('.version').count()).toBe(1);
  await page.getByText('Saved', { exact: false }).waitFor();
  await shot(page, '05-memory-edited');
  await page.getByRole('button', { name: 'Restore version 1' }).click();
  await expect.poll(() => page.locator('.version').count()).toBe(2);
  await expect.poll(() => page.getByLabel('Content').inputValue()).toBe(FIXTURE_MEMORIES[0]);
  await page.getByLabel('Content').fill('Prefers oat milk in coffee, never soy');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => page.locator('.version').count()).toBe(3);
  // Written here and no OMI key: the memory has no OMI copy.
  await page.getByRole('heading', { name: 'OMI sync' }).waitFor();
  await page.getByText('local only', { exact: true }).waitFor();
  await shot(page, '06-memory-history');

  // Search from the keyboard (Ctrl+K), in each mode; jump from a transcript hit to its second.
  await page.keyboard.press('Control+k');
  await page.getByLabel('Search', { exact: true }).fill('units');
  await expect.poll(() => page.locator('.search-hit').count()).toBeGreaterThanOrEqual(2);
  await expect.poll(() => page.locator('.search-hit mark').first().textContent()).toMatch(/units/i);
  await page.locator('.search-hit').first().getByRole('button', { name: 'Explain score' }).click();
  await shot(page, '07-search-keyword');
  // Semantic and hybrid for real: the relay in serve has embedded the memories and the conversation
  // (3 + 1 vectors) through the fake Ollama; the query is embedded by it too.
  const [adaProfile] = (await rpc('profiles.list', {})) as { id: string }[];
  await expect
    .poll(
      async () =>
        ((await rpc('embedding.status', { profileId: adaProfile!.id })) as { progress: { vectors: number } }).progress
          .vectors,
      {
        timeout: 60_000,
        interval: 500,
      },
    )
    .toBeGreaterThanOrEqual(4);
  for (const [mode, explained] of [
    ['Semantic', /vector: rank 1, distance/],
    ['Hybrid', /fused \(RRF\)/],
  ] as const) {
    await segment(page, mode);
    await expect.poll(() => page.locator('.search-hit').count()).toBeGreaterThanOrEqual(1);
    // Ran in that mode: no note that it fell back to keywords.
    expect(await page.getByText('showing keyword results').count()).toBe(0);
    // The first hit may still show its explanation from the keyword search above.
    const explain = page.locator('.search-hit').first().getByRole('button', { name: 'Explain score' });
    if ((await explain.count()) > 0) await explain.click();
    await expect.poll(() => page.locator('.search-hit').first().textContent()).toMatch(explained);
  }
  expect(ollama!.texts()).toContain('units');
  await shot(page, '08-search-hybrid');
  await page.locator('.search-hit', { hasText: 'transcript' }).first().getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: CONVERSATION_TITLE }).waitFor();
  await expect.poll(() => page.locator('.segment[aria-current="true"]').textContent()).toContain('500 units');
  await shot(page, '09-search-jump-to-second');

  // Live: a realtime transcript delivery appears as it arrives.
  await nav(page, 'Live');
  await page.getByText('Waiting for your OMI', { exact: false }).waitFor();
  const post = (kind: string, body: string) => send(`${served!.webhookUrl}/${kind}?uid=ada-uid`, json(body));
  expect((await post('transcript', fixture('realtime-transcript.object.json'))).status).toBe(200);
  await page.getByText('Remind me to water the plants tonight.').waitFor();
  await shot(page, '10-live');

  // Debug: the inbox shows the delivery; view its payload; replay it.
  expect((await post('conversation', fixture('conversation-created.json'))).status).toBe(200);
  await nav(page, 'Debug');
  await expect.poll(() => page.locator('.inbox-row').count()).toBe(2);
  await page.locator('.inbox-row', { hasText: 'transcript' }).getByRole('button', { name: 'Payload' }).click();
  await expect.poll(() => page.getByLabel('Payload').textContent()).toContain('water the plants');
  await shot(page, '11-inbox-payload');
  await page.keyboard.press('Escape');
  await page.getByLabel('Payload').waitFor({ state: 'detached' });
  await page
    .locator('.inbox-row', { hasText: 'transcript' })
    .getByRole('button', { name: /^Replay/ })
    .click();
  await page.getByText(/^Replayed: (applied|duplicate|revision)$/).waitFor();
  await shot(page, '12-inbox-replayed');
  await page.getByRole('tab', { name: 'Sync' }).click();
  await page.getByText('breaker', { exact: false }).waitFor();
  await shot(page, '13-sync');
  await page.getByRole('tab', { name: 'Embeddings' }).click();
  await page.getByText('ollama', { exact: true }).waitFor();
  await shot(page, '13-embeddings');
  await page.getByRole('tab', { name: 'Doctor' }).click();
  await expect.poll(() => page.locator('.doctor-check').count()).toBeGreaterThan(3);
  await page.getByText('healthy', { exact: true }).waitFor();
  await shot(page, '13-doctor');
  // The log viewer: serve logged the unlock; the text filter finds it, a stricter level hides it.
  await page.getByRole('tab', { name: 'Log' }).click();
  await page.getByLabel('Contains').fill('profile unlocked');
  await expect.poll(() => page.locator('.log-line').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  await shot(page, '13-log');
  await page.getByLabel('Level').selectOption('error');
  await page.getByText('No log lines match.').waitFor();
  // Charts of ingest latency and queue depth, sampled since serve unlocked the profile.
  await page.getByRole('tab', { name: 'Charts' }).click();
  await page.getByRole('figure', { name: 'Webhook ingest latency' }).locator('svg').first().waitFor();
  await page.getByRole('figure', { name: 'Queue depth' }).waitFor();
  await shot(page, '13-charts');

  // Archive: export with a passphrase, then inspect and import the same file.
  const archive = join(dir.path, 'ada.angelmem');
  await nav(page, 'Archive');
  await page.getByLabel('Export to').fill(archive);
  await page.getByLabel('Archive passphrase').first().fill(ARCHIVE_PASS);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByText('Exported', { exact: true }).waitFor();
  await shot(page, '14-archive-exported');
  await page.getByLabel('Import from').fill(archive);
  await page.getByLabel('Archive passphrase').nth(1).fill(ARCHIVE_PASS);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByLabel('Archive manifest').waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByLabel('Import report').scrollIntoViewIfNeeded();
  await shot(page, '15-archive-imported');
  // Backups: back up now, restore into this profile, then as a new profile with its recovery key.
  await page.getByRole('button', { name: 'Back up now' }).click();
  const backup = page.getByRole('table', { name: 'Backups' }).getByRole('row').nth(1);
  const dialog = page.getByRole('dialog', { name: 'Restore a backup' });
  await backup.getByRole('button', { name: 'Restore' }).click();
  await dialog.getByRole('button', { name: 'Restore' }).click();
  await dialog.getByText('Backup restored').waitFor();
  await shot(page, '16-backup-restored');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
  await backup.getByRole('button', { name: 'Restore' }).click();
  await segment(page, 'As a new profile');
  await dialog.getByLabel('New profile name').fill('Restored copy');
  await dialog.getByLabel('Passphrase for the new profile').fill('restored copy passphrase');
  await dialog.getByRole('button', { name: 'Restore' }).click();
  await dialog.getByLabel('Recovery key', { exact: true }).waitFor();
  expect(await dialog.getByRole('button', { name: 'Done' }).isDisabled()).toBe(true);
  await shot(page, '17-backup-restored-as-new-profile');
  await dialog.getByLabel('I have stored this recovery key somewhere safe').check();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });

  // Settings: a profile setting (saved in the vault), the webhook URL and its rotation, the idle lock,
  // the theme.
  await nav(page, 'Settings');
  const tunnel = page.getByRole('textbox', { name: 'Tunnel host' });
  await tunnel.fill('abc.trycloudflare.com');
  await page.getByRole('button', { name: 'Save Tunnel host' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const webhookUrl = page.getByLabel('Webhook URL');
  await expect.poll(() => webhookUrl.textContent()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/omi\/\S+$/);
  const before = await webhookUrl.textContent();
  // serve listens on a free port (--webhook-port 0): the page shows that port, not the configured one.
  expect(new URL(before!).port).toBe(new URL(served.webhookUrl).port);
  await page.getByRole('button', { name: 'Rotate secret…' }).click();
  await shot(page, '18-settings-rotate-confirm');
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
  await expect.poll(() => webhookUrl.textContent()).not.toBe(before);
  // A test delivery to the listener serve runs (on the port it really listens on, with the new secret).
  await page.getByRole('button', { name: 'Send test delivery (this computer)' }).click();
  await page.getByText(/^Delivered: HTTP 200 in \d+ ms, inbox entry #\d+\.$/).waitFor();
  await shot(page, '18-settings-test-delivery');
  await page.getByLabel('Lock after').selectOption('30');
  await shot(page, '18-settings');
  await segment(page, 'Dark');
  await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
  await shot(page, '18-settings-dark');
  await nav(page, 'Browse');
  await page.getByText('Prefers oat milk in coffee, never soy').waitFor();
  await shot(page, '19-browse-dark');

  // Locked from outside the page (as the CLI or a second window would): the push event over the
  // event stream takes the page back to the profile list. Then unlock with the passphrase.
  const [profile] = (await rpc('profiles.list', {})) as { id: string }[];
  const conversations = (await rpc('conversations.list', { profileId: profile!.id })) as { items: { id: string }[] };
  const saved = (await rpc('conversations.get', { profileId: profile!.id, id: conversations.items[0]!.id })) as {
    actionItems: { completed: boolean }[];
  };
  expect(saved.actionItems.map((a) => a.completed)).toEqual([true]);
  // The tunnel host the settings page saved is in the vault.
  const settings = (await rpc('settings.list', { profileId: profile!.id })) as { key: string; value: unknown }[];
  expect(settings.find((x) => x.key === 'webhook.tunnelHost')?.value).toBe('abc.trycloudflare.com');
  await rpc('profiles.lock', { profileId: profile!.id });
  await expect.poll(() => ada.locator('.badge').textContent()).toBe('Locked');
  await ada.getByLabel('Passphrase').fill('not the passphrase');
  await ada.getByRole('button', { name: 'Unlock' }).click();
  await expect.poll(() => ada.getByRole('alert').textContent()).toBe('Wrong passphrase');
  await shot(page, '20-wrong-passphrase');
  await ada.getByLabel('Passphrase').fill(PASS);
  await ada.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('Prefers oat milk in coffee, never soy').waitFor();

  // Restart the server: a new process, a new port and token, the same vault.
  restarting = true;
  await stopServe();
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  await page.goto(served.uiUrl);
  restarting = false;
  await ada.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Prefers oat milk in coffee, never soy').waitFor();
  await expect.poll(() => page.locator('.memory').count()).toBe(3);
  await shot(page, '21-after-restart');

  await context.close();
  await stopServe();
  expect(problems).toEqual([]);
});

test('a locked profile unlocks in the page and its long list pages in as it scrolls', async () => {
  problems.length = 0;
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  const context = await newContext();
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  onTestFailed(async () => {
    await shot(page, 'failure-bulk');
    console.log(problems);
  });

  await page.goto(served.uiUrl);
  const bulk = page.locator('.profile-row', { hasText: 'Bulk' });
  await expect.poll(() => bulk.locator('.badge').textContent()).toBe('Locked');
  await bulk.getByLabel('Passphrase').fill(BULK_PASS);
  await bulk.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText(`${BULK.toLocaleString('en-US')} memories`).waitFor();

  // Only the visible window is in the DOM, whatever the total.
  const list = page.getByRole('list', { name: 'Memories' });
  const rendered = () => list.getByRole('listitem').count();
  expect(await rendered()).toBeLessThan(40);

  // From the keyboard: Down moves to the next row, End jumps to the last one (its page is fetched).
  await list.locator('[data-index="0"] a').focus();
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.evaluate('document.activeElement.closest("[data-index]").dataset.index')).toBe('1');
  await page.keyboard.press('End');
  await expect
    .poll(() => page.evaluate('document.activeElement.closest("[data-index]").dataset.index'), { timeout: 10_000 })
    .toBe(String(BULK - 1));
  await page.keyboard.press('Home');
  await expect.poll(() => page.evaluate('document.activeElement.closest("[data-index]").dataset.index')).toBe('0');

  // Scroll to the end with the wheel: the last page is fetched and the last row shows, still a
  // small window.
  await list.hover();
  await page.mouse.wheel(0, 10_000_000);
  await expect
    .poll(() => list.locator(`[data-index="${BULK - 1}"] .memory-content`).count(), { timeout: 10_000 })
    .toBe(1);
  expect(await rendered()).toBeLessThan(40);
  await shot(page, '30-bulk-list-end');

  // The tag filter narrows the total on the server.
  await addTagFilter(page, 'batch-3');
  await page.getByText(`${(BULK / 10).toLocaleString('en-US')} memories`).waitFor();
  await shot(page, '31-bulk-filtered');

  // Multi-select: tag two memories, trash them, restore them from the trash.
  const rows = list.locator('.memory');
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.getByLabel('Tag for the selected memories').fill('picked');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await addTagFilter(page, 'picked');
  await page.getByText('2 memories').waitFor();
  await shot(page, '32-bulk-tagged');
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('No memories match these filters.').waitFor();
  await segment(page, 'Trash');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByText('2 memories').waitFor();
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await shot(page, '33-bulk-trash-selected');
  await page.getByRole('button', { name: 'Restore selected' }).click();
  await page.getByText('The trash is empty.').waitFor();

  // Empty the trash: one memory trashed, then deleted for good after a confirmation.
  await segment(page, 'Active');
  await rows.nth(0).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText(`${(BULK - 1).toLocaleString('en-US')} memories`).waitFor();
  await segment(page, 'Trash');
  await page.getByText('1 memory').waitFor();
  await page.getByRole('button', { name: 'Empty trash…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Empty the trash?' });
  await confirm.getByText('1 item in the trash').waitFor();
  await shot(page, '34-empty-trash-confirm');
  await confirm.getByRole('button', { name: 'Delete for good' }).click();
  await page.getByText('The trash is empty.').waitFor();
  await expect.poll(() => page.locator('.stats').textContent()).toMatch(/In trash\s*0/);

  await context.close();
  await stopServe();
  expect(problems).toEqual([]);
});

test('a new profile: created in the page with its recovery key, locked, unlocked, passphrase changed and recovered, deleted', async () => {
  problems.length = 0;
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  const context = await newContext();
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  onTestFailed(async () => {
    await shot(page, 'failure-profiles');
    console.log(problems);
  });
  const first = 'Cleo passphrase one';
  const second = 'Cleo passphrase two';
  const third = 'Cleo passphrase three';

  const folders = readdirSync(join(dir.path, 'profiles')).length;
  // Create: name, passphrase twice; a mismatch is caught before anything is sent.
  await page.goto(served.uiUrl);
  await page.locator('.profile-row', { hasText: 'Ada' }).waitFor();
  const form = page.getByRole('region', { name: 'New profile' });
  await form.getByLabel('Name').fill('Cleo');
  await form.getByLabel('Passphrase', { exact: true }).fill(first);
  await form.getByLabel('Repeat passphrase').fill('something else');
  await form.getByRole('button', { name: 'Create profile' }).click();
  await form.getByText('The two passphrases differ.').waitFor();
  await form.getByLabel('Repeat passphrase').fill(first);
  await shot(page, '40-create-profile');
  await form.getByRole('button', { name: 'Create profile' }).click();

  // The recovery key, once, with a confirmation before going on.
  const key = page.getByLabel('Recovery key', { exact: true });
  await key.waitFor();
  const recoveryKey = (await key.textContent())!.trim();
  expect(recoveryKey.length).toBeGreaterThan(20);
  expect(await page.getByRole('button', { name: 'Continue' }).isDisabled()).toBe(true);
  await shot(page, '41-recovery-key');
  await page.getByLabel('I have stored my recovery key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('No memories yet.').waitFor();
  await shot(page, '42-new-profile-empty');

  // Lock from the sidebar, unlock in the list.
  await page.getByRole('button', { name: 'Lock' }).click();
  const cleo = page.locator('.profile-row', { hasText: 'Cleo' });
  await expect.poll(() => cleo.locator('.badge').textContent()).toBe('Locked');
  await cleo.getByLabel('Passphrase').fill(first);
  await cleo.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('No memories yet.').waitFor();

  // Change the passphrase in the settings; the old one stops working.
  await nav(page, 'Settings');
  await page.getByRole('button', { name: 'Change passphrase' }).click();
  const change = page.getByRole('dialog');
  await change.getByLabel('Current passphrase').fill('not the passphrase');
  await change.getByLabel('New passphrase', { exact: true }).fill(second);
  await change.getByLabel('Repeat the new passphrase').fill(second);
  await change.getByRole('button', { name: 'Change passphrase' }).click();
  await change.getByText('Wrong current passphrase').waitFor();
  await shot(page, '43-change-passphrase-wrong');
  await change.getByLabel('Current passphrase').fill(first);
  await change.getByRole('button', { name: 'Change passphrase' }).click();
  await page.getByText('Passphrase changed').waitFor();
  await page.getByRole('button', { name: 'Lock' }).click();
  await cleo.getByLabel('Passphrase').fill(first);
  await cleo.getByRole('button', { name: 'Unlock' }).click();
  // The real passphrase KDF runs here (serve uses production scrypt costs): give it time.
  await expect.poll(() => cleo.getByRole('alert').textContent(), { timeout: 15_000 }).toBe('Wrong passphrase');

  // Forgot it: the recovery key sets a third passphrase and opens the profile.
  await cleo.getByRole('button', { name: 'More actions for Cleo' }).click();
  await page.getByRole('menuitem', { name: 'Forgot passphrase? Use the recovery key' }).click();
  const recover = page.getByRole('dialog');
  await recover.getByLabel('Recovery key').fill(recoveryKey);
  await recover.getByLabel('New passphrase', { exact: true }).fill(third);
  await recover.getByLabel('Repeat the new passphrase').fill(third);
  await shot(page, '44-recover');
  await recover.getByRole('button', { name: 'Set passphrase and unlock' }).click();
  await page.getByText('No memories yet.').waitFor();
  await page.getByRole('button', { name: 'Lock' }).click();
  await cleo.getByLabel('Passphrase').fill(third);
  await cleo.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('No memories yet.').waitFor();

  // Delete: the button waits for the exact name; the profile and its folder are gone.
  await nav(page, 'Settings');
  await page.getByRole('button', { name: 'Delete profile…' }).click();
  const remove = page.getByRole('dialog');
  await remove.getByLabel('Type “Cleo” to confirm').fill('cleo');
  expect(await remove.getByRole('button', { name: 'Delete profile' }).isDisabled()).toBe(true);
  await remove.getByLabel('Type “Cleo” to confirm').fill('Cleo');
  await shot(page, '45-delete-profile');
  await remove.getByRole('button', { name: 'Delete profile' }).click();
  await page.locator('.profile-row', { hasText: 'Ada' }).waitFor();
  await expect.poll(() => page.locator('.profile-row', { hasText: 'Cleo' }).count()).toBe(0);
  expect(readdirSync(join(dir.path, 'profiles')).length).toBe(folders);

  await context.close();
  await stopServe();
  expect(problems).toEqual([]);
});
