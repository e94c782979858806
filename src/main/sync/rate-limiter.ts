// Request pacing for one API key: never more than `limit` requests in any `windowMs` window (a
// sliding log of send times, so the bound holds for every window, not only aligned minutes), and
// nothing before a time the server named (X-RateLimit-Remaining: 0 with X-RateLimit-Reset, or a 429
// with Retry-After). Clock and sleep are injected so tests can run minutes of traffic in no time.
// Why not p-queue's interval option: it counts per fixed interval, which lets 2x the limit through
// across the boundary of two intervals.

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface Headroom {
  limit: number;
  /** Requests we may still send in the current window (the smaller of ours and the server's count). */
  remaining: number;
  /** When sending may resume, if the server asked us to wait. */
  blockedUntil: string | null;
}

type Headers = { get(name: string): string | null };

/** X-RateLimit-Reset is read as epoch seconds when it looks like one, else as seconds from now. */
function resetAt(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) return undefined;
  return n > 1e9 ? n * 1000 : now + n * 1000;
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterAt(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return now + n * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}

export class RateLimiter {
  private readonly sent: number[] = [];
  private blockedUntil = 0;
  private serverRemaining: number | undefined;
  private serverResetAt: number | undefined;

  constructor(private readonly options: RateLimiterOptions) {}

  /** Resolves when one more request may be sent, and counts it as sent. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.options.now();
      this.prune(now);
      if (this.serverResetAt !== undefined && this.serverResetAt <= now) {
        this.serverRemaining = undefined;
        this.serverResetAt = undefined;
      }
      const windowFree = this.sent.length < this.options.limit ? 0 : this.sent[0]! + this.options.windowMs;
      // Requests already sent count against the server's budget before their answers say so: with
      // several in flight, the last Remaining seen is spent here, not only when an answer reports 0.
      const serverFree =
        this.serverRemaining !== undefined && this.serverRemaining <= 0 ? (this.serverResetAt ?? 0) : 0;
      const until = Math.max(windowFree, this.blockedUntil, serverFree);
      if (until <= now) {
        this.sent.push(now);
        if (this.serverRemaining !== undefined) this.serverRemaining--;
        return;
      }
      await this.options.sleep(until - now);
    }
  }

  /** Learns from a response's headers; a 429 blocks until its Retry-After or reset time. */
  observe(status: number, headers: Headers): void {
    const now = this.options.now();
    const remaining = headers.get('x-ratelimit-remaining');
    const reset = resetAt(headers.get('x-ratelimit-reset'), now);
    if (remaining !== null && Number.isFinite(Number(remaining))) {
      this.serverRemaining = Number(remaining);
      this.serverResetAt = reset;
      if (this.serverRemaining <= 0 && reset !== undefined) this.blockedUntil = Math.max(this.blockedUntil, reset);
    }
    if (status === 429) {
      // Without any hint, back off a whole window rather than hammering.
      const until = retryAfterAt(headers.get('retry-after'), now) ?? reset ?? now + this.options.windowMs;
      this.blockedUntil = Math.max(this.blockedUntil, until);
    }
    if (reset !== undefined && reset <= now) {
      this.serverRemaining = undefined;
      this.serverResetAt = undefined;
    }
  }

  headroom(): Headroom {
    const now = this.options.now();
    this.prune(now);
    const ours = this.options.limit - this.sent.length;
    const remaining = this.blockedUntil > now ? 0 : Math.min(ours, this.serverRemaining ?? ours);
    return {
      limit: this.options.limit,
      remaining: Math.max(0, remaining),
      blockedUntil: this.blockedUntil > now ? new Date(this.blockedUntil).toISOString() : null,
    };
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && this.sent[0]! <= now - this.options.windowMs) this.sent.shift();
  }
}
