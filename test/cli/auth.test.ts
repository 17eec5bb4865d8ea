// The hub command's authentication flags and the token command, run in-process (the command
// objects, with an output sink), against real sockets.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hubCommand } from "../../src/cli/commands/hub.js";
import { tokenCommand } from "../../src/cli/commands/token.js";
import type { CommandIo } from "../../src/cli/command.js";
import { TransportError } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";

const dir = mkdtempSync(join(tmpdir(), "swarm-cli-auth-"));
const secretFile = join(dir, "secret");
writeFileSync(secretFile, "0123456789abcdef0123456789abcdef\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Output lines, and a signal the test gives when the command should stop. */
function sink(): CommandIo & { lines: string[]; stop(): void } {
  let stop = () => undefined as void;
  const lines: string[] = [];
  return {
    lines,
    out: (line) => void lines.push(line),
    err: (line) => void lines.push(line),
    untilSignal: () => new Promise<void>((resolve) => (stop = resolve)),
    readStdin: () => Promise.resolve(""),
    stop: () => stop(),
  };
}

describe("hub --auth-secret-file and token", () => {
  it("an agent with a minted token may use only its id; a linking hub needs --link-token", async () => {
    const minted = sink();
    await tokenCommand.run(["--id", "alice", "--secret-file", secretFile, "--ttl", "60"], minted);
    const token = minted.lines[0]!;
    expect(token.split(".")).toHaveLength(3);
    const io = sink();
    const running = hubCommand.run(["--bind", "127.0.0.1:0", "--auth-secret-file", secretFile, "--link-token", "link-secret", "--no-health", "--no-metrics"], io);
    const url = (await waitFor(() => io.lines.join("\n").match(/listening on (ws:\/\/\S+)/)?.[1], { what: "the hub to listen" }))!;
    try {
      const alice = await WebSocketTransport.client({ url, agentId: "alice", token });
      await alice.close();
      const error = await WebSocketTransport.client({ url, agentId: "bob", token }, { retryAttempts: 0 }).catch((e: unknown) => e);
      expect(TransportError.is(error, "Unauthenticated")).toBe(true);
      const other = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "other" });
      await expect(other.link(url, { token })).rejects.toMatchObject({ code: "Unauthenticated" });
      await other.link(url, { token: "link-secret" });
      await other.close();
    } finally {
      io.stop();
      await running;
    }
  });

  it("refuses a short secret and conflicting flags with a usage error", async () => {
    const short = join(dir, "short");
    writeFileSync(short, "too short");
    await expect(tokenCommand.run(["--id", "a", "--secret-file", short], sink())).rejects.toMatchObject({ exitCode: 2 });
    await expect(hubCommand.run(["--bind", "127.0.0.1:0", "--auth-secret-file", short], sink())).rejects.toMatchObject({ exitCode: 2 });
    await expect(hubCommand.run(["--auth-secret-file", secretFile, "--auth-token", "x"], sink())).rejects.toMatchObject({ exitCode: 2 });
  });
});
