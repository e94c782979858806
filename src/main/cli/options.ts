// Option builders shared by the command groups, so `--profile`, paging and tags read and validate the
// same way everywhere. Values commander rejects here are usage errors (exit 2).
import { InvalidArgumentError, type Command } from 'commander';

export interface ProfileOption {
  profile: string;
}

export interface PageOptions {
  limit: number;
  offset: number;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function withProfile(cmd: Command): Command {
  return cmd.requiredOption('--profile <name-or-id>', 'the profile (vault) to open');
}

export function withPage(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'how many to show (1-1000)', integer(1, 1000), 50)
    .option('--offset <n>', 'how many to skip', integer(0, Number.MAX_SAFE_INTEGER), 0);
}

/** Collects a repeatable option; absent stays undefined so "not given" and "none" differ. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
