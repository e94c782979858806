// The real UI end to end: `angel-memory serve` on a temporary data dir with a passphrase profile and
// fixture data, driven in Chromium through playwright-core (the system browser: CHROMIUM_PATH, else
// /usr/bin/chromium; nothing is downloaded). The page talks to the very core and contract the desktop
// app uses, over the headless HTTP transport. Each flow saves a screenshot to test-results/ for a human
// to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFailed, test } from 'vitest';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
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
const problems: string[] = [];
/** While the server restarts, the page's event stream fails to reconnect: expected, not a problem. */
let restarting = false;

/** Saves a screenshot and checks the page's controls all have accessible names. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (name.startsWith('failure')) return;
  for (const control of await unnamedControls(page)) problems.push(`${name}: unnamed control ${control}`);
}

/**
 * Controls without an accessible name (a light stand-in until axe-core is available): every button,
 * link, input, select and textarea must be named by its text, a <label>, aria-label or
 * aria-labelledby.
 */
async function unnamedControls(page: Page): Promise<string[]> {
  // A string, so this file needs no DOM types: it runs in the page.
  return page.evaluate<string[]>(`(() => {
    const named = (el) => {
      if (el.getAttribute('aria-label')?.trim()) return true;
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      if (el.labels?.length) return true;
      if (el.closest('label')?.textContent?.trim()) return true;
      if (el.getAttribute('title')?.trim()) return true;
      return (el.textContent ?? '').trim() !== '';
    };
    const controls = document.querySelectorAll(
      'button, a[href], input:not([type=hidden]), select, textarea, [role=button], [role=link], [role=tab], [role=checkbox]',
    );
    return [...controls].filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 160));
  })()`);
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
  served?.child.kill('SIGKILL');
  dir.remove();
});

// --no-sync: no OMI account here, and the suite talks to 127.0.0.1 only.
test('unlock, browse, read a conversation, edit a memory, live, replay, export and import, settings, lock', async () => {
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  expect(served.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=/);

  // Reduced motion: screenshots show settled controls, not a sliding indicator or a fading modal.
  const context = await browser!.newContext({ viewport: { width: 1200, height: 820 }, reducedMotion: 'reduce' });
  // Nothing leaves the machine: any request to another origin fails the test.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      problems.push(`request to ${route.request().url()}`);
      return route.abort();
    },
  );
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
  await page.getByLabel('Filter by tag').fill('nothing-tagged-so');
  await page.getByText('No memories tagged “nothing-tagged-so”.').waitFor();
  await page.getByLabel('Filter by tag').fill('fixture');
  await expect.poll(() => page.locator('.memory').count()).toBe(3);
  await shot(page, '02-browse-memories');

  // The conversations timeline, then one conversation.
  await segment(page, 'Conversations');
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await page.getByText(CONVERSATION_TITLE).waitFor();
  await shot(page, '03-browse-conversations');
  await page.getByText(CONVERSATION_TITLE).click();
  await page.getByRole('heading', { level: 1, name: CONVERSATION_TITLE }).waitFor();
  await page.getByText('Can we get the 500 units before the end of March?').waitFor();
  expect(await page.locator('.segment').count()).toBe(3);
  await shot(page, '04-conversation');

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
  await shot(page, '06-memory-history');

  // Search from the keyboard (Ctrl+K), in each mode; jump from a transcript hit to its second.
  await page.keyboard.press('Control+k');
  await page.getByLabel('Search', { exact: true }).fill('units');
  await expect.poll(() => page.locator('.search-hit').count()).toBeGreaterThanOrEqual(2);
  await expect.poll(() => page.locator('.search-hit mark').first().textContent()).toMatch(/units/i);
  await page.locator('.search-hit').first().getByRole('button', { name: 'Explain score' }).click();
  await shot(page, '07-search-keyword');
  for (const mode of ['Semantic', 'Hybrid']) {
    await segment(page, mode);
    // No embedding provider here: the page says how the search actually ran, and still finds it.
    await expect.poll(() => page.locator('.search-hit').count()).toBeGreaterThanOrEqual(1);
  }
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

  // Settings: the theme.
  await nav(page, 'Settings');
  await segment(page, 'Dark');
  await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
  await shot(page, '18-settings-dark');
  await nav(page, 'Browse');
  await page.getByText('Prefers oat milk in coffee, never soy').waitFor();
  await shot(page, '19-browse-dark');

  // Locked from outside the page (as the CLI or a second window would): the push event over the
  // event stream takes the page back to the profile list. Then unlock with the passphrase.
  const { origin, hash } = new URL(served.uiUrl);
  const rpc = async (channel: string, input: unknown) => {
    const res = await fetch(`${origin}/rpc/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hash.slice('#token='.length)}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return must((await res.json()) as Parameters<typeof must>[0]);
  };
  const [profile] = (await rpc('profiles.list', {})) as { id: string }[];
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
  const context = await browser!.newContext({ viewport: { width: 1200, height: 820 }, reducedMotion: 'reduce' });
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      problems.push(`request to ${route.request().url()}`);
      return route.abort();
    },
  );
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
  await page.getByLabel('Filter by tag').fill('batch-3');
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
  await page.getByLabel('Filter by tag').fill('picked');
  await page.getByText('2 memories').waitFor();
  await shot(page, '32-bulk-tagged');
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('No memories tagged “picked”.').waitFor();
  await segment(page, 'Trash');
  await page.getByLabel('Filter by tag').fill('');
  await page.getByText('2 memories').waitFor();
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await shot(page, '33-bulk-trash-selected');
  await page.getByRole('button', { name: 'Restore selected' }).click();
  await page.getByText('The trash is empty.').waitFor();

  await context.close();
  await stopServe();
  expect(problems).toEqual([]);
});
