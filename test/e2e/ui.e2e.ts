// The real UI end to end: `angel-memory serve` on a temporary data dir with a passphrase profile and
// fixture data, driven in Chromium through playwright-core (the system browser: CHROMIUM_PATH, else
// /usr/bin/chromium; nothing is downloaded). The page talks to the very core and contract the desktop
// app uses, over the headless HTTP transport. Screenshots go to test-results/ for a human to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import { startServe, type Served } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-results');
const PASS = 'e2e passphrase for Ada';
const FIXTURE_MEMORIES = [
  'Prefers oat milk in coffee',
  'Dentist appointment moved to the first Tuesday of March',
  'The spring hardware order needs 500 units before the end of March',
];

const dir = tempDir('angel-memory-e2e-');
let browser: Browser | undefined;
let served: Served | undefined;
const problems: string[] = [];
/** While the server restarts, the page's event stream fails to reconnect: expected, not a problem. */
let restarting = false;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function stopServe() {
  if (!served) return;
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  served = undefined;
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
    const conversation: unknown = JSON.parse(
      readFileSync(join(ROOT, 'test/fixtures/conversation-created.json'), 'utf8'),
    );
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
test('unlock, browse, create and edit a memory, and see it survive a server restart', async () => {
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  expect(served.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=/);

  const context = await browser!.newContext({ viewport: { width: 1100, height: 800 } });
  // Nothing leaves the machine: any request to another origin fails the test.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      problems.push(`request to ${route.request().url()}`);
      return route.abort();
    },
  );
  const page = await context.newPage();
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
  await shot(page, '01-profiles-unlocked');

  // The fixture data.
  await ada.getByRole('button', { name: 'Open' }).click();
  for (const content of FIXTURE_MEMORIES) await page.getByText(content).waitFor();
  await expect.poll(() => page.locator('.stats').textContent()).toMatch(/Memories3Conversations1/);
  await shot(page, '02-fixture-memories');

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
  await shot(page, '03-wrong-passphrase');
  await ada.getByLabel('Passphrase').fill(PASS);
  await ada.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText(FIXTURE_MEMORIES[0]!).waitFor();

  // Create one, then edit it.
  await page.getByLabel('New memory').fill('Call the bike shop about the red frame');
  await page.getByLabel(/Tags/).fill('errands, bike');
  await page.getByRole('button', { name: 'Add memory' }).click();
  const created = page.locator('.memory', { hasText: 'Call the bike shop about the red frame' });
  await created.waitFor();
  await expect.poll(() => page.locator('.stats').textContent()).toMatch(/Memories4/);
  await created.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Edit memory').fill('Call the bike shop about the blue frame, not the red one');
  await page.getByRole('button', { name: 'Save' }).click();
  const edited = page.locator('.memory', { hasText: 'Call the bike shop about the blue frame, not the red one' });
  await edited.waitFor();
  await expect.poll(() => edited.locator('.tag').allTextContents()).toEqual(['bike', 'errands']);
  await shot(page, '04-created-and-edited');

  // Restart the server: a new process, a new port and token, the same vault.
  restarting = true;
  await stopServe();
  served = await startServe(dir.path, 'Ada', PASS, ['--no-sync']);
  await page.goto(served.uiUrl);
  restarting = false;
  await ada.getByRole('button', { name: 'Open' }).click();
  await edited.waitFor();
  await expect.poll(() => page.locator('.memory').count()).toBe(4);
  expect(await page.getByText('Call the bike shop about the red frame', { exact: true }).count()).toBe(0);
  await shot(page, '05-after-restart');

  await context.close();
  await stopServe();
  expect(problems).toEqual([]);
});
