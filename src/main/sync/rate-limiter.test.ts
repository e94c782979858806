import fc from 'fast-check';
import { expect, test } from 'vitest';
import { RateLimiter } from './rate-limiter';

function fakeTime() {
  // Realistic epoch time: X-RateLimit-Reset values above 1e9 are read as epoch seconds.
  const start = Date.parse('2026-03-01T09:00:00.000Z');
  let t = start;
  return {
    start,
    now: () => t,
    sleep: (ms: number) => ((t += ms), Promise.resolve()),
    advance: (ms: number) => (t += ms),
  };
}

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] ?? null });

test('for any pacing, no window of windowMs ever holds more than limit sends', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 120 }),
      async (limit, gaps) => {
        const time = fakeTime();
        const limiter = new RateLimiter({ limit, windowMs: 1_000, now: time.now, sleep: time.sleep });
        const sent: number[] = [];
        for (const gap of gaps) {
          time.advance(gap);
          await limiter.acquire();
          sent.push(time.now());
        }
        for (let i = 0; i + limit < sent.length; i++) expect(sent[i + limit]! - sent[i]!).toBeGreaterThanOrEqual(1_000);
      },
    ),
    { numRuns: 200 },
  );
});

test('server hints block until the named time: Retry-After, and Remaining 0 with Reset', async () => {
  const time = fakeTime();
  const limiter = new RateLimiter({ limit: 100, windowMs: 60_000, now: time.now, sleep: time.sleep });
  limiter.observe(429, headers({ 'retry-after': '7' }));
  expect(limiter.headroom()).toMatchObject({ remaining: 0, blockedUntil: new Date(time.start + 7_000).toISOString() });
  await limiter.acquire();
  expect(time.now()).toBe(time.start + 7_000);

  const resetEpochS = Math.ceil((time.now() + 30_000) / 1000);
  limiter.observe(200, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetEpochS) }));
  await limiter.acquire();
  expect(time.now()).toBe(resetEpochS * 1000);

  // A 429 without hints waits a whole window rather than hammering.
  const before = time.now();
  limiter.observe(429, headers({}));
  await limiter.acquire();
  expect(time.now()).toBe(before + 60_000);
});

test("requests in flight spend the server's Remaining before their answers arrive", async () => {
  const time = fakeTime();
  const limiter = new RateLimiter({ limit: 100, windowMs: 60_000, now: time.now, sleep: time.sleep });
  const resetEpochS = Math.ceil((time.now() + 20_000) / 1000);
  limiter.observe(200, headers({ 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': String(resetEpochS) }));
  const sentAt: number[] = [];
  // Four sends with no answer observed in between (all still in flight).
  for (let i = 0; i < 4; i++) {
    await limiter.acquire();
    sentAt.push(time.now());
  }
  // Two fit in what the server said was left; the rest wait for its reset.
  expect(sentAt.filter((t) => t < resetEpochS * 1000)).toHaveLength(2);
  expect(sentAt.filter((t) => t >= resetEpochS * 1000)).toHaveLength(2);
});
