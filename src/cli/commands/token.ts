import { readFileSync } from "node:fs";
import { issueToken, type TokenKey } from "../../transports/websocket/hub/signed-token.js";
import { integer, parseCommand, required } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";

export const tokenCommand: Command = {
  name: "token",
  summary: "mint a signed token naming an agent (or hub) id and an expiry",
  usage: `swarm-transport token --id ID (--secret-file FILE | --private-key FILE) [options]

Prints a signed token (a JWT: HS256 with a shared secret, or EdDSA with an Ed25519 private
key) for a hub started with --auth-secret-file or --auth-public-key. The agent presents it with
--token; it may use only the ids the token names.

  --id ID                the agent id (or, with --hub, the linking hub's id) the token names
  --secret-file FILE     HMAC-SHA256 secret (at least 32 bytes), the hub's --auth-secret-file
  --private-key FILE     Ed25519 private key (PEM); the hub holds the public key
  --ttl SECONDS          lifetime (default 3600)
  --ids PATTERN          ids the holder may use instead of only ID ("team.*"; repeatable)
  --hub                  a hub-link credential (for links.authenticate with role "hub")`,
  async run(argv, io) {
    const { values } = parseCommand("token", argv, {
      id: { type: "string" },
      "secret-file": { type: "string" },
      "private-key": { type: "string" },
      ttl: { type: "string" },
      ids: { type: "string", multiple: true },
      hub: { type: "boolean" },
    });
    if (values.help) return io.out(tokenCommand.usage);
    const id = required(values.id, "id", "token");
    if ((values["secret-file"] === undefined) === (values["private-key"] === undefined)) {
      throw new CliError("token: give one of --secret-file and --private-key (see: swarm-transport token --help)", ExitCode.USAGE);
    }
    const key: TokenKey = values["secret-file"] !== undefined ? { hmacSecret: read(values["secret-file"]).trim() } : { privateKey: read(values["private-key"]!) };
    try {
      io.out(
        issueToken(
          {
            subject: id,
            expiresInS: integer(values.ttl, "ttl", 3600, "token"),
            ...(values.ids === undefined ? {} : { ids: values.ids }),
            ...(values.hub === true ? { role: "hub" as const } : {}),
          },
          key,
        ),
      );
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`token: ${(error as Error).message}`, ExitCode.USAGE);
    }
  },
};

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`token: cannot read ${path}: ${reason}`, ExitCode.USAGE);
  }
}
