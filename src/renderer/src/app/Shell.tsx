// The frame around every page: a calm sidebar with the profile, the features and the lock button.
import { AppShell, Box, Button, Group, Kbd, NavLink, Stack, Text } from '@mantine/core';
import { useHotkeys, useIdle } from '@mantine/hooks';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { call, describeError } from '../client';
import { useIdleLockMinutes } from './idle';
import { useOpenProfile } from './profile';

const MOD_KEY = /Mac|iPhone|iPad/.test(navigator.userAgent) ? '⌘' : 'Ctrl';

const NAV = [
  { to: '/browse', label: 'Browse' },
  { to: '/search', label: 'Search' },
  { to: '/live', label: 'Live' },
  { to: '/archive', label: 'Archive' },
  { to: '/debug', label: 'Debug' },
  { to: '/settings', label: 'Settings' },
] as const;

export function Shell() {
  const { profile, close } = useOpenProfile();
  const path = useRouterState({ select: (s) => s.location.pathname });
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  // Lock the open profile after the chosen time without keyboard, mouse or touch input in the window.
  const [idleMinutes] = useIdleLockMinutes();
  const idle = useIdle(idleMinutes > 0 ? idleMinutes * 60_000 : 2 ** 31 - 1, { initialState: false });
  useEffect(() => {
    if (idle && idleMinutes > 0) void lock();
    // lock() is recreated each render; only the idle edge matters.
  }, [idle]);
  // The omnibox: Ctrl+K (Cmd+K on macOS) from anywhere, even inside a text field.
  useHotkeys(
    [
      [
        'mod+K',
        () => {
          if (path === '/search') document.getElementById('omnibox')?.focus();
          else void navigate({ to: '/search' });
        },
      ],
    ],
    [],
  );

  async function lock() {
    try {
      await call('profiles.lock', { profileId: profile.id });
      close();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <AppShell navbar={{ width: 210, breakpoint: 0 }} padding="md">
      <AppShell.Navbar p="sm" aria-label="Main">
        <Stack gap={2} style={{ flex: 1 }}>
          <Box px="xs" pb="md">
            <Text fw={700}>Angel Memory</Text>
            <Text size="sm" c="dimmed" truncate>
              {profile.name}
            </Text>
            <Text size="xs" c="dimmed" mt={4}>
              <Kbd size="xs">{MOD_KEY}</Kbd> + <Kbd size="xs">K</Kbd> to search
            </Text>
          </Box>
          {NAV.map((item) => (
            <NavLink
              key={item.to}
              renderRoot={(props) => <Link to={item.to} {...props} />}
              label={item.label}
              active={path.startsWith(item.to)}
              aria-current={path.startsWith(item.to) ? 'page' : undefined}
            />
          ))}
        </Stack>
        <Stack gap="xs">
          {error && (
            <Text c="red" size="xs" role="alert">
              {error}
            </Text>
          )}
          <Group grow gap="xs">
            <Button variant="default" size="xs" onClick={close}>
              Profiles
            </Button>
            <Button size="xs" onClick={() => void lock()}>
              Lock
            </Button>
          </Group>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main className="main">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
