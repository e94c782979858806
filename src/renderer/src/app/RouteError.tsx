// What a page shows when it throws while rendering: the message and a way back, inside the frame.
import { Alert, Button, Group, Text } from '@mantine/core';
import type { ErrorComponentProps } from '@tanstack/react-router';

export function RouteError(props: ErrorComponentProps) {
  return (
    <Alert color="red" title="This page failed" role="alert">
      <Text size="sm">{props.error instanceof Error ? props.error.message : String(props.error)}</Text>
      <Group mt="sm">
        <Button size="xs" variant="default" onClick={props.reset}>
          Try again
        </Button>
      </Group>
    </Alert>
  );
}
