// Loading, error and empty states that keep their place in the layout (no jump when data arrives).
import { Alert, Skeleton, Stack, Text } from '@mantine/core';
import { describeError } from '../client';

export function ErrorState(props: { error: unknown; title?: string }) {
  return (
    <Alert color="red" title={props.title ?? 'Could not load this'} role="alert">
      {describeError(props.error)}
    </Alert>
  );
}

export function LoadingRows(props: { rows?: number; height?: number }) {
  return (
    <Stack gap="xs" aria-busy="true" aria-label="Loading">
      {Array.from({ length: props.rows ?? 4 }, (_, i) => (
        <Skeleton key={i} height={props.height ?? 48} radius="sm" />
      ))}
    </Stack>
  );
}

export function Empty(props: { children: React.ReactNode }) {
  return (
    <Text c="dimmed" ta="center" py="xl">
      {props.children}
    </Text>
  );
}
