// gRPC's interop TestService (proto/swarm/interop/v1/test_service.proto), served as gRPC's
// interop server serves it, for test/rpc/interop-suite.ts.
import {
  TestServiceDefinition,
  type EchoStatus,
  type ResponseParameters,
} from "../../generated/swarm/interop/v1/test_service.js";
import { RpcError, Status, type CallContext, type ServiceImplementation } from "../../src/index.js";

export { TestServiceDefinition };

/** Metadata keys whose values the server echoes: as a response header and as a trailer. */
export const ECHO_INITIAL = "x-grpc-test-echo-initial";
export const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";

/** TestService without UnimplementedCall: a server of it answers that method UNIMPLEMENTED. */
export const ServedTestServiceDefinition = (() => {
  const { unimplementedCall: _, ...methods } = TestServiceDefinition.methods;
  return { ...TestServiceDefinition, methods };
})();

/** Calls of the interop service that have started (for cancellation checks). */
export interface InteropProbe {
  /** Handler signals, in the order calls started. */
  signals: AbortSignal[];
}

function echoMetadata(context: CallContext): void {
  const initial = context.metadata[ECHO_INITIAL];
  if (initial !== undefined) context.header[ECHO_INITIAL] = initial;
  const trailing = context.metadata[ECHO_TRAILING];
  if (trailing !== undefined) context.trailer[ECHO_TRAILING] = trailing;
}

function throwStatus(status: EchoStatus | undefined): void {
  if (status !== undefined && status.code !== 0) throw new RpcError(status.code as Status, status.message);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function* respond(parameters: ResponseParameters[], context: CallContext) {
  for (const { size, intervalUs } of parameters) {
    if (intervalUs > 0) await sleep(intervalUs / 1000, context.signal);
    yield { payload: { body: new Uint8Array(size) } };
  }
}

/** The interop server's behaviour; `probe` records each call's signal. */
export function interopService(probe: InteropProbe = { signals: [] }): ServiceImplementation<typeof ServedTestServiceDefinition> {
  const started = (context: CallContext) => probe.signals.push(context.signal);
  return {
    emptyCall: () => ({}),
    unaryCall(request, context) {
      echoMetadata(context);
      throwStatus(request.responseStatus);
      return { payload: { body: new Uint8Array(request.responseSize) } };
    },
    async *streamingOutputCall(request, context) {
      started(context);
      echoMetadata(context);
      yield* respond(request.responseParameters, context);
      throwStatus(request.responseStatus);
    },
    async streamingInputCall(requests, context) {
      started(context);
      let total = 0;
      for await (const request of requests) total += request.payload?.body.length ?? 0;
      return { aggregatedPayloadSize: total };
    },
    async *fullDuplexCall(requests, context) {
      started(context);
      echoMetadata(context);
      for await (const request of requests) {
        throwStatus(request.responseStatus);
        yield* respond(request.responseParameters, context);
      }
    },
  };
}
