/** Actions of commands: errors keep the command they came from, return values become exit codes. */
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { REQUIRED } from './options.js';
import type { CliContext } from './program.js';

/** A failure inside a command's action, with the command (for the message's `mlmesh x y:`). */
export class ActionFailure extends Error {
  constructor(
    readonly command: Command,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'ActionFailure';
  }
}

/**
 * Sets `fn` as the action of `cmd`: it gets the positional arguments, the command's options
 * and the command; a number it returns is the exit code.
 */
export function onRun<O>(cmd: Command, ctx: CliContext, fn: (args: string[], opts: O, command: Command) => Promise<number | void>): Command {
  return cmd.action(async (...all: unknown[]) => {
    const command = all[all.length - 1] as Command;
    const args = all.slice(0, -2).flat() as string[];
    try {
      for (const o of command.options) {
        if (REQUIRED.has(o) && command.getOptionValue(o.attributeName()) === undefined) throw new UsageError(`required option '${o.flags}' not specified`);
      }
      const code = await fn(args, command.opts<O & object>(), command);
      if (typeof code === 'number') ctx.exitCode = code;
    } catch (e: unknown) {
      throw new ActionFailure(command, e);
    }
  });
}

/** Where an option's value came from: 'cli', 'env', 'default' or undefined. */
export function sourceOf(command: Command, key: string): string | undefined {
  return command.getOptionValueSource(key);
}
