import { SharedMemorySegment, type SharedMemorySegmentHandle } from "../transports/shared-memory/segment.js";
import { TransportError } from "../transport/errors.js";

/** The part of a Web Worker (or a `MessagePort`) the page side uses. */
export interface WebWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message" | "error", listener: (event: { data?: unknown; message?: string }) => void): void;
  removeEventListener(type: "message" | "error", listener: (event: { data?: unknown; message?: string }) => void): void;
  terminate?(): void;
}

/** The part of a worker's global scope (`self`) the worker side uses. */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data?: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data?: unknown }) => void): void;
}

/** Options of `connectWebWorker`. */
export interface ConnectWebWorkerOptions<T> {
  /** Passed to the worker beside the segment (structured-cloneable). */
  data?: T;
  /** How long to wait for the worker's `ready()`, in ms. Default 5,000. */
  timeoutMs?: number;
}

/** A Web Worker that has attached to a segment. */
export interface WebWorkerLink {
  /** The handle the worker opened the segment with. */
  readonly handle: SharedMemorySegmentHandle;
  /**
   * Terminates the worker and marks the endpoints it attached as dead, so peers on the page
   * see `onPeerGone` and fail pending work at once (a terminated Web Worker fires no event).
   */
  terminate(): void;
}

/** What `acceptSegment` gives the worker. */
export interface AcceptedSegment<T> {
  segment: SharedMemorySegment;
  data: T;
  /** Tells the page this worker has attached its endpoints: `connectWebWorker` resolves. */
  ready(): void;
}

const SEGMENT_MESSAGE = "swarm-transport/segment";
const READY_MESSAGE = "swarm-transport/ready";
const FAILED_MESSAGE = "swarm-transport/failed";

interface SegmentMessage<T> {
  type: typeof SEGMENT_MESSAGE;
  handle: SharedMemorySegmentHandle;
  data: T;
}

/**
 * Page side: posts a handle to `segment` to `worker` and resolves once the worker, having
 * opened it with `acceptSegment` and attached its endpoints, called `ready()`. Rejects with
 * `ConnectionError` when the worker fails to load or throws first, `Timeout` after `timeoutMs`.
 */
export function connectWebWorker<T = undefined>(worker: WebWorkerLike, segment: SharedMemorySegment, options: ConnectWebWorkerOptions<T> = {}): Promise<WebWorkerLink> {
  const handle = segment.handle();
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise<WebWorkerLink>((resolve, reject) => {
    const timer = setTimeout(() => settle(new TransportError("Timeout", `Web Worker did not attach to segment "${segment.name}" within ${timeoutMs} ms`)), timeoutMs);
    function onMessage(event: { data?: unknown }): void {
      const data = event.data as { type?: unknown; message?: unknown } | null;
      if (data?.type === READY_MESSAGE) settle(undefined);
      else if (data?.type === FAILED_MESSAGE) settle(new TransportError("ConnectionError", `Web Worker could not open segment "${segment.name}": ${String(data.message)}`));
    }
    function onError(event: { message?: string }): void {
      settle(new TransportError("ConnectionError", `Web Worker failed before attaching: ${event.message ?? "error event"}`));
    }
    function settle(error: TransportError | undefined): void {
      clearTimeout(timer);
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
      if (error !== undefined) return reject(error);
      resolve({
        handle,
        terminate() {
          worker.terminate?.();
          segment.reapOwner(handle.ownerId);
        },
      });
    }
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    const message: SegmentMessage<T | undefined> = { type: SEGMENT_MESSAGE, handle, data: options.data };
    worker.postMessage(message);
  });
}

/**
 * Worker side: waits for the segment `connectWebWorker` posts and opens it. Call `ready()`
 * once this worker's endpoints are attached. Other messages are left to other listeners.
 * `scope` defaults to the worker's global scope.
 */
export function acceptSegment<T = undefined>(scope: MessagePortLike = globalThis as unknown as MessagePortLike): Promise<AcceptedSegment<T>> {
  return new Promise((resolve, reject) => {
    function onMessage(event: { data?: unknown }): void {
      const message = event.data as SegmentMessage<T> | null;
      if (message?.type !== SEGMENT_MESSAGE) return;
      scope.removeEventListener("message", onMessage);
      try {
        const segment = SharedMemorySegment.open(message.handle);
        resolve({ segment, data: message.data, ready: () => scope.postMessage({ type: READY_MESSAGE }) });
      } catch (error) {
        scope.postMessage({ type: FAILED_MESSAGE, message: error instanceof Error ? error.message : String(error) });
        reject(error);
      }
    }
    scope.addEventListener("message", onMessage);
  });
}
