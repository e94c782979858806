// `npm run gen -- --profile P --memories N --conversations M [--segments S] [--seed X] [--no-embeddings]`
// fills profile P (created when missing) in the data directory (`--data-dir`, ANGEL_MEMORY_HOME or
// the platform default) with generated data (generate.ts). The passphrase comes from
// ANGEL_MEMORY_PASSPHRASE or --passphrase-file, as for the angel-memory command. Run by jiti, which
// resolves the project's extensionless TypeScript imports.
import { parseArgs } from 'node:util';
import { ACTOR } from '../../src/main/cli/context';
import { openHost } from '../../src/main/cli/host';
import { readPassphrase } from '../../src/main/cli/io';
import { unwrap } from '../../src/main/cli/output';
import { defaultDataDir } from '../../src/main/core/data-dir';
import { generate } from './generate';

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    memories: { type: 'string', default: '1000' },
    conversations: { type: 'string', default: '100' },
    segments: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    'no-embeddings': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    'passphrase-file': { type: 'string' },
  },
});

const count = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`error USAGE: --${name} must be a whole number\n`);
    process.exit(2);
  }
  return n;
};

async function main(): Promise<void> {
  if (!values.profile) {
    process.stderr.write('error USAGE: --profile is required\n');
    process.exit(2);
  }
  const passphrase = readPassphrase(process.env, values['passphrase-file']);
  const host = openHost(values['data-dir'] ?? defaultDataDir(process.env), process.env);
  try {
    const { core } = host;
    const listed = unwrap(await core.invoke('profiles.list', {}, ACTOR));
    let id = listed.find((p) => p.name === values.profile || p.id === values.profile)?.id;
    if (!id) {
      const created = unwrap(
        await core.invoke(
          'profiles.create',
          { name: values.profile, protection: { kind: 'passphrase', passphrase } },
          ACTOR,
        ),
      );
      id = created.profile.id;
    }
    const session = await core.unlock(id, { kind: 'passphrase', passphrase });
    const report = generate(session.db, {
      memories: count('memories', values.memories),
      conversations: count('conversations', values.conversations),
      segmentsPerConversation: count('segments', values.segments),
      seed: count('seed', values.seed),
      embeddings: !values['no-embeddings'],
      onProgress: (p) => process.stderr.write(`${p.phase} ${p.done}/${p.total}\n`),
    });
    process.stdout.write(`${JSON.stringify({ profileId: id, ...report })}\n`);
  } finally {
    await host.close();
  }
}

main().catch((err: unknown) => {
  const code = (err as { code?: string }).code ?? 'INTERNAL';
  process.stderr.write(`error ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
