import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TransportStats } from "../../src/index.js";

/** An agent that never reads, in its own process. */
export interface ClientProcess {
  report(): Promise<{ peakRss: number; rss: number; state: string; stats: TransportStats }>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./fixtures/client-process.ts", import.meta.url));

/** Connects agent `agentId` to `url` from a child process (node + tsx); it never reads. */
export async function startClientProcess(url: string, agentId: string, config: Record<string, number | boolean> = {}): Promise<ClientProcess> {
  const child = fork(ENTRY, [url, agentId, JSON.stringify(config)], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`client process exited (${code}) before connecting`)));
  });
  let next = 1;
  return {
    report: () =>
      new Promise((resolve) => {
        const id = next++;
        const onMessage = (message: { type: string; id: number } & Record<string, unknown>) => {
          if (message.type !== "report" || message.id !== id) return;
          child.off("message", onMessage);
          resolve(message as never);
        };
        child.on("message", onMessage);
        child.send({ type: "report", id });
      }),
    close: async () => {
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
