import { resolve } from "node:path";
import { parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { packageInfo } from "../package-info.js";
import { existing, packageName, scaffoldFiles, writeFiles } from "../scaffold.js";

export const initCommand: Command = {
  name: "init",
  summary: "create a service project: a .proto, codegen, server, client and a test",
  usage: `swarm-transport init [DIR] [options]

Writes a new project into DIR (default: the current folder): a .proto with one service
(GreeterService), buf.yaml and buf.gen.yaml with the ts-proto options swarm-transport needs,
a server and a client over a transport chosen by URL (inproc://, shm://, ws://), a vitest
test, and package.json with the scripts generate, start, test. Then:
  npm install && npm start && npm test
Refuses to overwrite files unless --force.

  --dependency SPEC      how the project depends on swarm-transport (default: file: the copy
                         running this command, as long as it is not published; e.g. ^0.1.0)
  --name NAME            the project's npm name (default: from DIR)
  --force                overwrite files that exist`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("init", argv, { dependency: { type: "string" }, name: { type: "string" }, force: { type: "boolean" } });
    if (values.help) return io.out(initCommand.usage);
    if (positionals.length > 1) throw new CliError(`init: one DIR at most, got ${positionals.length} (see: swarm-transport init --help)`, ExitCode.USAGE);
    const dir = resolve(positionals[0] ?? ".");
    const info = packageInfo();
    const files = scaffoldFiles(info, { name: values.name ?? packageName(dir), dependency: values.dependency ?? `file:${info.root}` });
    const clashes = existing(dir, files);
    if (clashes.length > 0 && values.force !== true) {
      throw new CliError(`init: ${dir} already has ${clashes.slice(0, 3).join(", ")}${clashes.length > 3 ? ", ..." : ""} (use an empty folder, or --force to overwrite)`, ExitCode.USAGE);
    }
    writeFiles(dir, files);
    const here = resolve(".") === dir;
    io.out(`created a GreeterService project in ${dir} (${files.length} files); next:`);
    if (!here) io.out(`  cd ${positionals[0]}`);
    io.out("  npm install     # installs, then generates src/gen/ from proto/ (buf + ts-proto)");
    io.out("  npm start       # serves GreeterService and calls it (in-process; npm start -- ws://... for a hub)");
    io.out("  npm test");
  },
};
