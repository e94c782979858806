// runCli: parses argv with commander, runs one command against the core and turns every outcome into
// output and an exit status. It never throws and never exits the process, so tests can run it
// in-process; the vaults and the log file are closed before it resolves.
import { Command, CommanderError } from 'commander';
import type { ErrorInfo } from '../../shared/result';
import { AppError, toErrorInfo } from '../errors';
import { registerArchive } from './commands/archive';
import { registerConversation } from './commands/conversation';
import { registerHealth } from './commands/health';
import { registerInbox } from './commands/inbox';
import { registerMemory } from './commands/memory';
import { registerProfile } from './commands/profile';
import { registerEmbed, registerSearch } from './commands/search';
import { registerServe } from './commands/serve';
import { registerSettings } from './commands/settings';
import { registerSync } from './commands/sync';
import { registerWebhook } from './commands/webhook';
import { createContext, type CliContext, type GlobalOptions } from './context';
import type { CliIo } from './io';
import { createOutput, EXIT, exitCodeFor } from './output';

export type { CliIo } from './io';

/** --json before a `--` terminator; used when parsing failed before commander stored the option. */
const jsonInArgv = (argv: readonly string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
};

function buildProgram(io: CliIo, wantsJson: () => boolean): Command {
  return (
    new Command('angel-memory')
      .description('Angel Memory: your encrypted OMI memories, from the command line.')
      .option('--data-dir <dir>', 'where vaults live (default: $ANGEL_MEMORY_HOME, else the app-data folder)')
      .option('--json', 'print exactly one JSON document on stdout; errors as JSON on stderr')
      .option('--passphrase-file <file>', 'read the passphrase from this file instead of ANGEL_MEMORY_PASSPHRASE')
      // Subcommands inherit these: commander throws instead of exiting, and writes through our streams.
      .exitOverride()
      .configureOutput({
        writeOut: (s) => void io.stdout.write(s),
        // With --json stderr carries only the JSON error, which the catch below prints.
        writeErr: (s) => void (wantsJson() ? undefined : io.stderr.write(s)),
        outputError: () => undefined,
      })
      .showSuggestionAfterError()
  );
}

function usageError(err: CommanderError): ErrorInfo {
  // commander.help: a group called without a subcommand; commander already printed its help.
  const message = err.code === 'commander.help' ? 'a command is needed (see --help)' : err.message;
  return { code: 'BAD_INPUT', message: message.replace(/^error: /, '') };
}

function report(err: unknown, ctx: CliContext, command: string, json: boolean): number {
  const out = createOutput(ctx.io, json);
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return EXIT.ok;
    out.error(usageError(err));
    return EXIT.usage;
  }
  const info = toErrorInfo(err);
  const host = ctx.openedHost();
  if (!(err instanceof AppError)) {
    host?.logger.error({ err, command }, 'command failed');
    if (host) info.message = `internal error (details in the log under ${host.logDir})`;
  }
  out.error(info);
  return exitCodeFor(info.code);
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io, () => wantsJson());
  const wantsJson = () => program.opts<GlobalOptions>().json === true || jsonInArgv(argv);
  const ctx = createContext(io, () => program.opts<GlobalOptions>());
  registerProfile(program, ctx);
  registerMemory(program, ctx);
  registerConversation(program, ctx);
  registerSettings(program, ctx);
  registerHealth(program, ctx);
  registerServe(program, ctx);
  registerInbox(program, ctx);
  registerWebhook(program, ctx);
  registerSync(program, ctx);
  registerArchive(program, ctx);
  registerSearch(program, ctx);
  registerEmbed(program, ctx);

  let command = '';
  program.hook('preAction', (_root, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c?.parent; c = c.parent) names.unshift(c.name());
    command = names.join(' ');
  });

  let code: number;
  let errorCode: string | undefined;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    code = ctx.exitCode;
  } catch (err) {
    errorCode = err instanceof CommanderError ? 'USAGE' : toErrorInfo(err).code;
    code = report(err, ctx, command, wantsJson());
  }

  const host = ctx.openedHost();
  if (host) {
    // The command path only: arguments can carry memory text, and options name profiles.
    host.logger.info({ command, exitCode: code, error: errorCode }, 'cli command finished');
    try {
      await host.close();
    } catch (err) {
      createOutput(io, wantsJson()).error(toErrorInfo(err));
      code ||= EXIT.failure;
    }
  }
  return code;
}
