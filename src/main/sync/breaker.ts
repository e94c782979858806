// One cockatiel circuit breaker per upstream, restored from and saved to `breaker_state` so a restart
// does not forget that OMI is down: consecutive failures open it, an open breaker fails calls at once
// (zero requests), after `halfOpenAfterMs` exactly one probe goes through; success closes it and a
// failure opens it again. cockatiel reads Date.now() for the open time, so tests move that clock.
import { CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { readBreaker, writeBreaker } from '../db/repos/sync';
import type { Db } from '../db/open';
import { OmiApiError } from './errors';

export type BreakerName = 'closed' | 'open' | 'half-open' | 'isolated';

export function breakerName(state: CircuitState): BreakerName {
  switch (state) {
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Isolated:
      return 'isolated';
    default:
      return 'closed';
  }
}

/** Failures that say the upstream is unwell. 4xx answers, 429 included, prove it is up. */
export const isUpstreamFailure = (err: unknown): boolean =>
  err instanceof OmiApiError && (err.kind === 'server' || err.kind === 'network' || err.kind === 'timeout');

export interface PersistedBreaker {
  policy: CircuitBreakerPolicy;
  /** When an open breaker lets its probe through (null unless open). */
  probeAt(): Date | null;
  dispose(): void;
}

export function createPersistedBreaker(
  db: Db,
  upstream: string,
  options: {
    threshold: number;
    halfOpenAfterMs: number;
    now: () => Date;
    onChange?: (state: BreakerName) => void;
    /** Which errors count against the upstream (default: OMI's server, network and timeout failures). */
    isFailure?: (err: unknown) => boolean;
  },
): PersistedBreaker {
  const saved = readBreaker(db, upstream);
  const policy = circuitBreaker(handleWhen(options.isFailure ?? isUpstreamFailure), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.threshold),
    initialState: saved?.snapshot,
  });
  const save = () => {
    if (!db.open) return;
    writeBreaker(db, upstream, breakerName(policy.state), policy.toJSON(), options.now().toISOString());
  };
  const subscriptions = [
    policy.onStateChange((s) => {
      save();
      options.onChange?.(breakerName(s));
    }),
    // The consecutive-failure count is part of the state: a restart mid-streak keeps counting.
    policy.onFailure(() => save()),
  ];
  return {
    policy,
    probeAt() {
      if (policy.state !== CircuitState.Open) return null;
      const { ownState } = policy.toJSON() as { ownState: { openedAt?: number } };
      return new Date((ownState.openedAt ?? 0) + options.halfOpenAfterMs);
    },
    dispose: () => subscriptions.forEach((s) => s.dispose()),
  };
}
