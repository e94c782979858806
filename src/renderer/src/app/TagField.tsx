// Mantine's TagsInput with a named remove button on every tag ("Remove tag errands"), which the
// default pill leaves unnamed for screen readers.
import { Pill, TagsInput, type TagsInputProps } from '@mantine/core';

export function TagField(props: TagsInputProps) {
  return (
    <TagsInput
      {...props}
      renderPill={({ value, onRemove, disabled, reorderProps }) => (
        <Pill
          withRemoveButton={!disabled}
          onRemove={onRemove}
          removeButtonProps={{ 'aria-label': `Remove tag ${value ?? ''}` }}
          {...reorderProps}
        >
          {value}
        </Pill>
      )}
    />
  );
}
