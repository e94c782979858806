// Renders a component as the app does (Mantine, a fresh query cache, an open profile when asked) over
// a fake bridge: `calls` records every invoke, `answer` decides each channel's Result.
import { MantineProvider } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { AngelApi } from '../../preload/api';
import type { Channel } from '../../shared/ipc/contract';
import type { ProfileSummary } from '../../shared/models';
import type { Result } from '../../shared/result';
import { ProfileContext } from '../src/app/profile';
import { createQueryClient } from '../src/app/query';
import { setTransport } from '../src/client';
import { theme } from '../src/app/theme';

export type Answer = (channel: Channel, input: unknown) => unknown;

export interface FakeBridge {
  calls: { channel: Channel; input: unknown }[];
  /** Channels answered with a failure: code and message. */
  fail: Map<Channel, { code: string; message: string }>;
}

export const ADA: ProfileSummary = {
  id: '01ADA0000000000000000000AA',
  name: 'Ada',
  createdAt: '2026-01-02T03:04:05.000Z',
  locked: false,
  protection: ['passphrase', 'recovery'],
};

export function fakeBridge(answer: Answer): FakeBridge {
  const bridge: FakeBridge = { calls: [], fail: new Map() };
  const api = {
    invoke(channel: Channel, input: unknown): Promise<Result<unknown>> {
      bridge.calls.push({ channel, input });
      const failure = bridge.fail.get(channel);
      if (failure) return Promise.resolve({ ok: false, error: failure } as Result<unknown>);
      return Promise.resolve({ ok: true, value: answer(channel, input) });
    },
    on: () => () => undefined,
  };
  setTransport(api as unknown as AngelApi);
  return bridge;
}

export function renderUi(ui: ReactElement, options: { profile?: ProfileSummary; close?: () => void } = {}) {
  const client = createQueryClient();
  const tree = (
    <MantineProvider theme={theme}>
      <QueryClientProvider client={client}>
        {options.profile ? (
          <ProfileContext.Provider value={{ profile: options.profile, close: options.close ?? (() => undefined) }}>
            {ui}
          </ProfileContext.Provider>
        ) : (
          ui
        )}
      </QueryClientProvider>
    </MantineProvider>
  );
  return { client, ...render(tree) };
}
