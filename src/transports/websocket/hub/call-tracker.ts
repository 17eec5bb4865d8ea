import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";

/** Upper bounds of the call latency buckets, in seconds (0.25 ms … 10 s); the last bucket is +Inf. */
export const CALL_LATENCY_BUCKETS_S: readonly number[] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The label of the methods past `maxMethods` (and of names too long to be a label). */
export const OTHER_METHODS = "other";

/** Longest method name with a label of its own, in UTF-16 code units (at most 768 UTF-8 bytes): a name is the caller's to choose. */
export const MAX_METHOD_LABEL_LENGTH = 256;

/** The calls of one method that passed through a hub, as it saw them. */
export interface MethodCallStats {
  /** The method's path ("/pkg.Service/Method", or an untyped method's name), or "other" for those past the cap. */
  readonly method: string;
  /** Calls routed and not yet answered. */
  readonly inFlight: number;
  /** Calls ended, by status code (index 0 is OK; gRPC's codes 1..16). */
  readonly codes: readonly number[];
  /** Ended calls per latency bucket (see CALL_LATENCY_BUCKETS_S; one more for +Inf), not cumulative. */
  readonly buckets: readonly number[];
  /** Sum of the ended calls' latencies, in seconds. */
  readonly latencySumS: number;
}

/** Options of a hub's call tracking. */
export interface CallTrackingOptions {
  /** Methods with a series of their own; the rest share "other". Default 100. */
  maxMethods?: number;
  /** Calls tracked at once; past it, calls are routed but not counted (see `untracked`). Default 100,000. */
  maxTracked?: number;
}

class MethodCounts implements MethodCallStats {
  readonly method: string;
  inFlight = 0;
  readonly codes: number[] = new Array<number>(17).fill(0);
  readonly buckets: number[] = new Array<number>(CALL_LATENCY_BUCKETS_S.length + 1).fill(0);
  latencySumS = 0;

  constructor(method: string) {
    this.method = method;
  }

  ended(code: number, seconds: number): void {
    this.inFlight--;
    this.codes[code >= 0 && code <= 16 ? code : 2]!++;
    let bucket = 0;
    while (bucket < CALL_LATENCY_BUCKETS_S.length && seconds > CALL_LATENCY_BUCKETS_S[bucket]!) bucket++;
    this.buckets[bucket]!++;
    this.latencySumS += seconds;
  }
}

interface TrackedCall {
  readonly counts: MethodCounts;
  readonly startedAt: number;
}

/**
 * The RPC calls a hub routes between agents, seen from the envelopes it forwards (it decodes
 * each to route it anyway): a Request opens a call, the callee's Response or the caller's Cancel
 * closes it. Gives calls in flight per agent (serving and making) and, per method, calls by
 * status and latency. Bounded: at most `maxMethods` method labels of at most
 * MAX_METHOD_LABEL_LENGTH characters, and `maxTracked` open calls;
 * an agent that leaves takes its calls along. Off unless asked for (`WebSocketHub.callStats`).
 * @internal
 */
export class CallTracker {
  /** callee → caller → correlation id → call */
  readonly #open = new Map<string, Map<string, Map<number, TrackedCall>>>();
  readonly #making = new Map<string, number>();
  readonly #serving = new Map<string, number>();
  readonly #methods = new Map<string, MethodCounts>();
  readonly #maxMethods: number;
  readonly #maxTracked: number;
  #tracked = 0;
  /** Calls not tracked because `maxTracked` were open. */
  untracked = 0;

  constructor(options: CallTrackingOptions = {}) {
    this.#maxMethods = options.maxMethods ?? 100;
    this.#maxTracked = options.maxTracked ?? 100_000;
  }

  /** An envelope routed between agents (`local`: the hub's own address, whose calls are not tracked here). */
  observe(envelope: Envelope, local: string): void {
    const payload = envelope.payload;
    const peer = envelope.destination;
    if (peer === undefined || peer === local || envelope.source === local) return;
    switch (payload?.$case) {
      case "request":
        return this.#request(envelope.source, peer, payload.value.correlationId, payload.value.method);
      case "response": {
        const outcome = payload.value.outcome;
        return this.#end(envelope.source, peer, payload.value.correlationId, outcome?.$case === "error" ? outcome.value.code : 0);
      }
      case "control": {
        const operation = payload.value.operation;
        if (operation?.$case === "cancel") this.#end(peer, envelope.source, operation.value.correlationId, operation.value.reason === "deadline exceeded" ? 4 : 1);
        return;
      }
    }
  }

  /** Calls routed to `agent` that it has not answered. */
  serving(agent: string): number {
    return this.#serving.get(agent) ?? 0;
  }

  /** Calls `agent` made that are not answered yet. */
  making(agent: string): number {
    return this.#making.get(agent) ?? 0;
  }

  /** Per method: calls in flight, by status, latency. */
  methods(): MethodCallStats[] {
    return [...this.#methods.values()];
  }

  /** `agent` left for good: its calls, either way, are no longer in flight (nor counted as ended). */
  forget(agent: string): void {
    const served = this.#open.get(agent);
    if (served !== undefined) {
      this.#open.delete(agent);
      for (const [caller, calls] of served) this.#drop(agent, caller, calls);
    }
    if ((this.#making.get(agent) ?? 0) === 0) return;
    for (const [callee, callers] of this.#open) {
      const calls = callers.get(agent);
      if (calls === undefined) continue;
      callers.delete(agent);
      this.#drop(callee, agent, calls);
    }
  }

  #request(caller: string, callee: string, id: number, method: string): void {
    if (this.#tracked >= this.#maxTracked) {
      this.untracked++;
      return;
    }
    let callers = this.#open.get(callee);
    if (callers === undefined) this.#open.set(callee, (callers = new Map()));
    let calls = callers.get(caller);
    if (calls === undefined) callers.set(caller, (calls = new Map()));
    if (calls.has(id)) return;
    const counts = this.#counts(method);
    counts.inFlight++;
    calls.set(id, { counts, startedAt: performance.now() });
    this.#tracked++;
    this.#serving.set(callee, (this.#serving.get(callee) ?? 0) + 1);
    this.#making.set(caller, (this.#making.get(caller) ?? 0) + 1);
  }

  #end(callee: string, caller: string, id: number, code: number): void {
    const callers = this.#open.get(callee);
    const calls = callers?.get(caller);
    const call = calls?.get(id);
    if (call === undefined) return;
    calls!.delete(id);
    if (calls!.size === 0) callers!.delete(caller);
    if (callers!.size === 0) this.#open.delete(callee);
    this.#tracked--;
    decrement(this.#serving, callee, 1);
    decrement(this.#making, caller, 1);
    call.counts.ended(code, (performance.now() - call.startedAt) / 1000);
  }

  #drop(callee: string, caller: string, calls: Map<number, TrackedCall>): void {
    for (const call of calls.values()) call.counts.inFlight--;
    this.#tracked -= calls.size;
    decrement(this.#serving, callee, calls.size);
    decrement(this.#making, caller, calls.size);
  }

  #counts(method: string): MethodCounts {
    let counts = this.#methods.get(method);
    if (counts !== undefined) return counts;
    const label = this.#methods.size < this.#maxMethods && method.length <= MAX_METHOD_LABEL_LENGTH ? method : OTHER_METHODS;
    counts = this.#methods.get(label);
    if (counts === undefined) this.#methods.set(label, (counts = new MethodCounts(label)));
    return counts;
  }
}

function decrement(counts: Map<string, number>, key: string, by: number): void {
  const left = (counts.get(key) ?? 0) - by;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
