// One per-profile setting as a small form: the current value (secrets only say whether they are set),
// an input, and Save. Switches save at once. The main process validates; its message is shown.
import { Button, Group, NativeSelect, PasswordInput, Switch, Text, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useProfileId } from '../app/profile';
import { useCallMutation } from '../app/query';
import { describeError } from '../client';

export interface SettingState {
  key: string;
  secret: boolean;
  set: boolean;
  value: unknown;
}

type Kind = 'text' | 'secret' | 'number' | 'textarea' | { options: { value: string; label: string }[] };

/** Setting values are strings, numbers or booleans (profile-settings.ts); anything else shows as JSON. */
const asText = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);

export function SettingField(props: {
  setting: SettingState | undefined;
  label: string;
  description?: string;
  kind?: Kind;
  placeholder?: string;
}) {
  const profileId = useProfileId();
  const save = useCallMutation('settings.set', ['settings.list', 'sync.status']);
  const current = props.setting;
  const kind = props.kind ?? 'text';
  const [text, setText] = useState(kind === 'secret' ? '' : asText(current?.value));
  // A value changed elsewhere (or loaded late) replaces the untouched input.
  useEffect(() => {
    if (kind !== 'secret') setText(asText(current?.value));
  }, [current?.value, kind]);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      { profileId, key: props.setting?.key ?? '', value: text.trim() },
      { onSuccess: () => kind === 'secret' && setText('') },
    );
  }

  const description =
    kind === 'secret'
      ? `${props.description ? `${props.description} ` : ''}${current?.set ? '(set)' : '(not set)'}`
      : props.description;
  const common = {
    label: props.label,
    description,
    placeholder: props.placeholder,
    value: text,
    error: save.error ? describeError(save.error) : undefined,
    style: { flex: 1 },
  };
  const unchanged = kind !== 'secret' && text.trim() === asText(current?.value);

  return (
    <form onSubmit={submit} aria-label={props.label}>
      <Group align="flex-end" gap="xs" wrap="nowrap">
        {kind === 'secret' ? (
          <PasswordInput {...common} autoComplete="off" onChange={(e) => setText(e.currentTarget.value)} />
        ) : kind === 'textarea' ? (
          <Textarea {...common} autosize minRows={2} onChange={(e) => setText(e.currentTarget.value)} />
        ) : typeof kind === 'object' ? (
          <NativeSelect
            {...common}
            data={text === '' ? [{ value: '', label: 'Not set' }, ...kind.options] : kind.options}
            onChange={(e) => setText(e.currentTarget.value)}
          />
        ) : (
          <TextInput
            {...common}
            inputMode={kind === 'number' ? 'numeric' : undefined}
            onChange={(e) => setText(e.currentTarget.value)}
          />
        )}
        <Button
          type="submit"
          variant="default"
          loading={save.isPending}
          disabled={!current || text.trim() === '' || unchanged}
          aria-label={`Save ${props.label}`}
        >
          Save
        </Button>
      </Group>
      {save.isSuccess && !save.isPending && (
        <Text size="xs" c="teal" mt={2} role="status">
          Saved
        </Text>
      )}
    </form>
  );
}

export function SettingSwitch(props: { setting: SettingState | undefined; label: string; description?: string }) {
  const profileId = useProfileId();
  const save = useCallMutation('settings.set', ['settings.list']);
  return (
    <Switch
      label={props.label}
      description={props.description}
      disabled={!props.setting || save.isPending}
      checked={props.setting?.value === true}
      error={save.error ? describeError(save.error) : undefined}
      onChange={(e) =>
        save.mutate({ profileId, key: props.setting?.key ?? '', value: String(e.currentTarget.checked) })
      }
    />
  );
}
