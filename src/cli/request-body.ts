import { readFile } from "node:fs/promises";
import { CliError, ExitCode } from "./cli-error.js";

/**
 * The text of a body argument: the argument itself, `-` for all of stdin, or `@FILE` for a
 * file's contents — so a request of any size needs no room on the command line.
 */
export async function readBodyArgument(argument: string | undefined, what: string, command: string, readStdin: () => Promise<string>): Promise<string | undefined> {
  if (argument === undefined) return undefined;
  if (argument === "-") return readStdin();
  if (!argument.startsWith("@")) return argument;
  const path = argument.slice(1);
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`${command}: cannot read ${what} from ${argument}: ${reason}; give the JSON itself, @FILE or - for stdin`, ExitCode.USAGE);
  }
}

/** All of a readable stream (stdin) as UTF-8 text. */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
