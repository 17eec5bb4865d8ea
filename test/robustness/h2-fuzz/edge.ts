// The fuzzed edge in its own process (./edge-process.ts), from the fuzzer's side.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** The edge process's memory and counters. */
export interface EdgeReport {
  /** Resident set size now, and its highest so far, in bytes. */
  rss: number;
  peakRss: number;
  heapUsed: number;
  /** Memory outside the JS heap (Buffers, ArrayBuffers). */
  external: number;
  /** The longest the process's event loop was blocked since it started (or the last reset), in ms. */
  loopDelayMaxMs: number;
  /** Calls the gateway has in flight, and bytes its HTTP/2 holds for clients. */
  inFlight: number;
  bufferedBytes: number;
  /** CPU time so far (user + system), in microseconds. */
  cpuUs: number;
}

/** @internal IPC messages to the edge process. */
export type EdgeRequest = { type: "report"; id: number; gc?: boolean; resetLoopDelay?: boolean } | { type: "close" };

/** The edge in a process of its own. */
export interface EdgeProcess {
  port: number;
  pid: number;
  report(gc?: boolean, resetLoopDelay?: boolean): Promise<EdgeReport>;
  /** Whether the process is still running. */
  alive(): boolean;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./edge-process.ts", import.meta.url));

/** Starts the edge (node + tsx) with `httpOptions` for createHubHttp, resolving once it listens with its agent. */
export async function startEdgeProcess(httpOptions: Record<string, unknown> = {}): Promise<EdgeProcess> {
  const child: ChildProcess = fork(ENTRY, [JSON.stringify(httpOptions)], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let exited = false;
  child.once("exit", () => (exited = true));
  const [ready] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => Promise.reject(new Error(`the edge process exited with ${String(code)} before listening`))),
  ])) as [{ port: number }];
  let nextId = 0;
  return {
    port: ready.port,
    pid: child.pid!,
    alive: () => !exited,
    async report(gc, resetLoopDelay) {
      const id = nextId++;
      const answer = new Promise<EdgeReport>((resolve, reject) => {
        const onMessage = (message: { type: string; id: number; report: EdgeReport }): void => {
          if (message.type !== "report" || message.id !== id) return;
          child.off("message", onMessage);
          child.off("exit", onExit);
          resolve(message.report);
        };
        const onExit = (): void => reject(new Error("the edge process exited"));
        child.on("message", onMessage);
        child.once("exit", onExit);
      });
      child.send({ type: "report", id, gc, resetLoopDelay } satisfies EdgeRequest);
      return answer;
    },
    async close() {
      if (exited) return;
      const gone = once(child, "exit");
      child.send({ type: "close" } satisfies EdgeRequest);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
