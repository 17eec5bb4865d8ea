import type { Demux } from "../demux/demux.js";
import { DeadlineScheduler } from "../rpc/deadline-scheduler.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { EdgeCall } from "./edge-call.js";

/** What every edge call shares: the hub's demux, one deadline timer, calls in flight per agent. */
export class EdgeCalls {
  readonly demux: Demux;
  readonly deadlines = new DeadlineScheduler<EdgeCall>();
  readonly #byAgent = new Map<string, number>();
  readonly #calls = new Set<EdgeCall>();

  constructor(demux: Demux) {
    this.demux = demux;
  }

  /** Calls in flight. */
  get size(): number {
    return this.#calls.size;
  }

  /** Response bytes held for HTTP clients, over every call in flight. */
  bufferedBytes(): number {
    let bytes = 0;
    for (const call of this.#calls) bytes += call.sink.bufferedBytes ?? 0;
    return bytes;
  }

  /** Calls in flight to `agent`. */
  inFlight(agent: string): number {
    return this.#byAgent.get(agent) ?? 0;
  }

  /** Cancels every call (the edge is closing): each sink ends with UNAVAILABLE. */
  close(): void {
    for (const call of [...this.#calls]) call.abandon(new RpcError(Status.UNAVAILABLE, "the hub's HTTP edge is closing"));
    this.deadlines.clear();
  }

  /** @internal */
  started(call: EdgeCall): void {
    this.#calls.add(call);
    this.#byAgent.set(call.peer, (this.#byAgent.get(call.peer) ?? 0) + 1);
  }

  /** @internal */
  finished(call: EdgeCall): void {
    if (!this.#calls.delete(call)) return;
    const left = (this.#byAgent.get(call.peer) ?? 1) - 1;
    if (left > 0) this.#byAgent.set(call.peer, left);
    else this.#byAgent.delete(call.peer);
  }
}

