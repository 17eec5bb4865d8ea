#!/usr/bin/env node
/**
 * `swarm-transport`: run a hub, serve or call agents, publish and subscribe, run benchmarks.
 * Every failure is one line on stderr and a documented exit code (see cli-error.ts).
 */
import { agentCommand } from "./commands/agent.js";
import { benchCommand } from "./commands/bench.js";
import { callCommand } from "./commands/call.js";
import { hubCommand } from "./commands/hub.js";
import { initCommand } from "./commands/init.js";
import { publishCommand } from "./commands/publish.js";
import { subscribeCommand } from "./commands/subscribe.js";
import { topCommand } from "./commands/top.js";
import { tokenCommand } from "./commands/token.js";
import { CliError, ExitCode } from "./cli-error.js";
import type { Command, CommandIo } from "./command.js";
import { packageInfo } from "./package-info.js";
import { readAll } from "./request-body.js";

const COMMANDS: readonly Command[] = [initCommand, hubCommand, agentCommand, callCommand, publishCommand, subscribeCommand, topCommand, tokenCommand, benchCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: swarm-transport <command> [options]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run swarm-transport <command> --help for a command's options.",
    "Exit codes: 0 ok, 1 the operation failed, 2 bad arguments, 3 hub unreachable or lost.",
  ].join("\n");
}

const io: CommandIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  untilSignal: () =>
    new Promise((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }),
  readStdin: () => readAll(process.stdin),
  terminal: process.stdout.isTTY === true,
};

/** Runs the command line `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    if (name !== undefined) return ExitCode.OK;
    io.err(`swarm-transport: no command given; commands: ${COMMANDS.map((c) => c.name).join(", ")} (see: swarm-transport --help)`);
    return ExitCode.USAGE;
  }
  if (name === "--version" || name === "-v") {
    io.out(`swarm-transport ${packageInfo().version}`);
    return ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`swarm-transport: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(", ")} (see: swarm-transport --help)`);
    return ExitCode.USAGE;
  }
  try {
    await command.run(rest, io);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.message);
      return error.exitCode;
    }
    io.err(`swarm-transport ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.FAILED;
  }
}

const code = await main(process.argv.slice(2));
// Let stdout drain, then leave even if a library left a handle open.
process.exitCode = code;
setTimeout(() => process.exit(code), 100).unref();
