import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { TransportError } from "../transport/errors.js";

/** Options of `startNatsCluster`. */
export interface NatsClusterOptions {
  /** Nodes in the cluster. Default 3; 1 starts a lone server without routes. */
  nodes?: number;
  /** Enable JetStream on every node (each with its own store directory). Default false. */
  jetStream?: boolean;
  /** Path of the `nats-server` binary. Default: found on PATH, /usr/sbin or /usr/bin (`findNatsServer`). */
  binary?: string;
  /** The cluster's name (every node the same). Default "swarm". */
  clusterName?: string;
  /** Largest message a client may publish, in bytes. Default 16 MiB (nats-server's own default is 1 MB). */
  maxPayloadBytes?: number;
  /** How long each node may take to accept connections, in ms. Default 10,000. */
  startTimeoutMs?: number;
}

/** One `nats-server` process of a cluster. */
export interface NatsNode {
  readonly name: string;
  /** `nats://127.0.0.1:<port>` for clients. */
  readonly url: string;
  readonly port: number;
  readonly clusterPort: number;
  /** Whether the process runs. */
  readonly running: boolean;
  /** Kills the process (SIGKILL: no goodbye to clients or routes) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store directory, and waits until it accepts connections. */
  restart(): Promise<void>;
}

/** A local NATS cluster of real `nats-server` processes on free loopback ports. */
export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL, comma-separated: a `nats://` transport URL. */
  readonly url: string;
  /** Stops every node and removes the store directories. Idempotent. */
  close(): Promise<void>;
}

/** The `nats-server` binary: `$NATS_SERVER`, else the first found on PATH, /usr/sbin, /usr/bin; undefined when none. */
export function findNatsServer(): string | undefined {
  const candidates = [process.env["NATS_SERVER"], ...(process.env["PATH"] ?? "").split(delimiter).map((dir) => join(dir, "nats-server")), "/usr/sbin/nats-server", "/usr/bin/nats-server"];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts `nodes` nats-server processes on 127.0.0.1, each with routes to all the others (and,
 * with `jetStream`, a temp store directory), and resolves once every node accepts client
 * connections. Routes and the JetStream meta leader form shortly after; clients that need them
 * wait on their own condition. Rejects with `NotAvailable` when no nats-server binary is found.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const binary = options.binary ?? findNatsServer();
  if (binary === undefined) throw new TransportError("NotAvailable", "nats-server is not installed (apt-get install -y nats-server, or set NATS_SERVER)");
  const count = options.nodes ?? 3;
  const root = mkdtempSync(join(tmpdir(), "swarm-nats-"));
  roots.add(root);
  hookExit();
  const ports = await freePorts(count * 2);
  const nodes: ServerNode[] = [];
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const routes = count === 1 ? [] : ports.filter((_, j) => j % 2 === 1 && j !== i * 2 + 1).map((port) => `nats://127.0.0.1:${port}`);
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const config = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${ports[i * 2]}`,
      `max_payload: ${options.maxPayloadBytes ?? 16 * 1024 * 1024}`,
      options.jetStream ? `jetstream { store_dir: ${JSON.stringify(dir)}, max_mem: 256MB, max_file: 1GB }` : "",
      count === 1 ? "" : `cluster { name: ${options.clusterName ?? "swarm"}, listen: 127.0.0.1:${ports[i * 2 + 1]}, routes: [${routes.join(", ")}] }`,
    ].join("\n");
    const file = join(root, `${name}.conf`);
    writeFileSync(file, config);
    nodes.push(new ServerNode(name, binary, file, dir, ports[i * 2]!, ports[i * 2 + 1]!, options.startTimeoutMs ?? 10_000));
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(root, { recursive: true, force: true });
    roots.delete(root);
  };
  try {
    await Promise.all(nodes.map((node) => node.restart()));
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes, url: nodes.map((node) => node.url).join(","), close };
}

/** Every nats-server this process started and has not stopped: killed if the process exits first. */
const live = new Set<ChildProcess>();
/** Store directories of clusters not yet closed. */
const roots = new Set<string>();
let exitHook = false;

function hookExit(): void {
  if (exitHook) return;
  exitHook = true;
  // a test runner or demo that exits without close() must not leave servers or stores behind
  process.once("exit", () => {
    for (const orphan of live) orphan.kill("SIGKILL");
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
}

function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  hookExit();
}

class ServerNode implements NatsNode {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly #binary: string;
  readonly #config: string;
  /** The node's working directory: whatever it writes outside its store lands there, not in the caller's. */
  readonly #dir: string;
  readonly #startTimeoutMs: number;
  #process: ChildProcess | undefined;
  #log = "";

  constructor(name: string, binary: string, config: string, dir: string, port: number, clusterPort: number, startTimeoutMs: number) {
    this.name = name;
    this.#binary = binary;
    this.#config = config;
    this.#dir = dir;
    this.port = port;
    this.clusterPort = clusterPort;
    this.#startTimeoutMs = startTimeoutMs;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  async restart(): Promise<void> {
    if (this.running) return;
    this.#log = "";
    const child = spawn(this.#binary, ["-c", this.#config], { cwd: this.#dir, stdio: ["ignore", "ignore", "pipe"] });
    this.#process = child;
    track(child);
    child.stderr!.on("data", (chunk: Buffer) => {
      if (this.#log.length < 64 * 1024) this.#log += chunk.toString();
    });
    const exited = once(child, "exit").then(() => {
      throw new TransportError("ConnectionError", `nats-server ${this.name} exited while starting (code ${child.exitCode}):\n${this.#log.slice(-2000)}`);
    });
    exited.catch(() => undefined);
    await Promise.race([this.#untilAccepting(), exited]);
  }

  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined || !this.running) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  /** Graceful stop (SIGTERM), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (child === undefined || !this.running) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Connects until the server sends its INFO line, each attempt bounded; the whole wait has a deadline. */
  async #untilAccepting(): Promise<void> {
    const deadline = performance.now() + this.#startTimeoutMs;
    for (;;) {
      if (await greets(this.port)) return;
      if (!this.running) return; // the exit handler reports why
      if (performance.now() >= deadline) throw new TransportError("Timeout", `nats-server ${this.name} did not accept connections on port ${this.port} within ${this.#startTimeoutMs} ms:\n${this.#log.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Whether a NATS server on `port` answers a TCP connection with its INFO line. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("data", (data: Buffer) => done(data.toString().startsWith("INFO")));
    socket.once("error", () => done(false));
  });
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, so none repeats). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
