// The edge's pure pieces, with fixed bytes: framing, deadlines, grpc-message encoding, gzip
// negotiation, google.rpc.Status, the service table, and schemas written as descriptors.
import { join } from "node:path";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { describe, expect, it } from "vitest";
import { acceptsGzip, gunzip, requestCompressed } from "../../src/gateway/compression.js";
import { DescriptorPool } from "../../src/gateway/descriptor-pool.js";
import { encodeFrame, FrameReader } from "../../src/gateway/grpc-framing.js";
import { decodeStatus, encodeStatus, statusDetails } from "../../src/gateway/status-details.js";
import { formatGrpcTimeout, parseConnectTimeout, parseGrpcTimeout } from "../../src/gateway/timeout-parse.js";
import { grpcStatusFields, percentDecode, percentEncode, trailerBlock } from "../../src/gateway/trailers.js";
import { PACKAGE_PROTO_DIR } from "../../src/node/package-proto.js";
import { fileDescriptorSet } from "../../src/schema/descriptors.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";
import { RpcError, Status } from "../../src/index.js";
import { ServiceTable } from "../../src/transports/websocket/hub/service-table.js";
import { gzipSync } from "node:zlib";

describe("grpc-framing", () => {
  it("reads frames split anywhere, and whole frames in one chunk without copying", () => {
    const frames = Buffer.concat([encodeFrame(0, Buffer.from("one")), encodeFrame(1, Buffer.from("second")), encodeFrame(0x80, new Uint8Array(0))]);
    for (let cut = 0; cut <= frames.length; cut++) {
      const reader = new FrameReader(100);
      const read = [...reader.push(frames.subarray(0, cut)), ...reader.push(frames.subarray(cut))];
      expect(read.map((f) => [f.flags, Buffer.from(f.data).toString()])).toEqual([[0, "one"], [1, "second"], [0x80, ""]]);
      expect(reader.partial).toBe(false);
    }
    const whole = new FrameReader(100).push(frames)[0]!.data;
    expect(whole.buffer).toBe(frames.buffer);
  });

  it("refuses a frame over the limit from its header, before its body arrives", () => {
    const reader = new FrameReader(10);
    expect(() => reader.push(encodeFrame(0, new Uint8Array(11)).subarray(0, 5))).toThrow(/11 bytes is over the limit of 10/);
  });
});

describe("timeout-parse", () => {
  it("reads grpc-timeout in every unit, rounding up to whole ms and cutting to the maximum", () => {
    expect(["1H", "2M", "3S", "250m", "1500u", "1n"].map((v) => parseGrpcTimeout(v, 1e9))).toEqual([3_600_000, 120_000, 3000, 250, 2, 1]);
    expect(parseGrpcTimeout("99999999S", 300_000)).toBe(300_000);
    expect(parseGrpcTimeout(undefined, 1000)).toBeUndefined();
    for (const bad of ["", "5", "123456789m", "1s", "-1m", "1.5S"]) expect(() => parseGrpcTimeout(bad, 1000), bad).toThrow(RpcError);
    expect(parseConnectTimeout("1500", 1e9)).toBe(1500);
    expect(() => parseConnectTimeout("12345678901", 1e9)).toThrow(/1 to 10 digits/);
    expect(formatGrpcTimeout(250)).toBe("250m");
  });
});

describe("trailers", () => {
  it("percent-encodes grpc-message as UTF-8 bytes, and decodes it back", () => {
    for (const text of ["plain text", "100% sure", "ü\nnew line", "日本", "tab\there"]) expect(percentDecode(percentEncode(text))).toBe(text);
    expect(percentEncode("ü % ok")).toBe("%C3%BC %25 ok");
  });

  it("writes the status fields, details included, and gRPC-Web's trailer block", () => {
    const fields = grpcStatusFields(new RpcError(Status.NOT_FOUND, "no such thing", { details: { why: "gone" } }), { "x-trailer": "t" });
    expect(fields["grpc-status"]).toBe("5");
    expect(fields["x-trailer"]).toBe("t");
    expect(decodeStatus(Buffer.from(fields["grpc-status-details-bin"]!, "base64"))?.details[0]?.typeUrl).toBe("type.googleapis.com/google.protobuf.Value");
    expect(Buffer.from(trailerBlock({ "grpc-status": "0", "X-A": "b" })).toString()).toBe("grpc-status: 0\r\nx-a: b\r\n");
  });
});

describe("status-details", () => {
  it("passes an agent's google.rpc.Status through, and wraps other bytes as BytesValue", () => {
    const status = { code: 3, message: "bad", details: [{ typeUrl: "type.googleapis.com/google.rpc.BadRequest", value: new Uint8Array([10, 1, 120]) }] };
    const encoded = encodeStatus(status);
    expect(decodeStatus(encoded)).toEqual(status);
    expect(statusDetails(new RpcError(Status.INVALID_ARGUMENT, "bad", { details: encoded }))?.details).toEqual(status.details);
    expect(statusDetails(new RpcError(Status.INTERNAL, "x", { details: new Uint8Array([0xff, 0xff]) }))?.details[0]?.typeUrl).toBe("type.googleapis.com/google.protobuf.BytesValue");
    expect(statusDetails(new RpcError(Status.INTERNAL, "x"))).toBeUndefined();
  });
});

describe("compression", () => {
  it("negotiates gzip from accept lists, refuses encodings it cannot read, and bounds inflation", async () => {
    expect(acceptsGzip("identity,deflate,gzip")).toBe(true);
    expect(acceptsGzip("gzip;q=0, identity")).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(requestCompressed("gzip", "grpc-encoding", "grpc-accept-encoding")).toBe(true);
    expect(requestCompressed("identity", "grpc-encoding", "grpc-accept-encoding")).toBe(false);
    expect(() => requestCompressed("snappy", "grpc-encoding", "grpc-accept-encoding")).toThrow(/not supported/);
    const bomb = gzipSync(Buffer.alloc(1 << 20));
    await expect(gunzip(bomb, 1000)).rejects.toThrow(/inflates past the limit of 1000 bytes/);
    await expect(gunzip(Buffer.from("not gzip"), 1000)).rejects.toThrow(/not valid gzip/);
  });
});

describe("service-table", () => {
  const served = (...names: string[]) => ({ services: names.map((name) => ({ name, methods: [{ name: "Do", clientStreaming: false, serverStreaming: true }] })), fileDescriptorSet: new Uint8Array(0) });

  it("keeps service → agents from announcements, tells when a service gains its first agent or loses its last", () => {
    const table = new ServiceTable();
    const changes: string[] = [];
    table.onChange((service) => changes.push(`${service}:${table.state(service)}`));
    expect(table.state("a.S")).toBe("unknown");
    table.announce("x", served("a.S", "b.T"));
    table.announce("y", served("a.S"));
    expect(table.agents("a.S")).toEqual(["x", "y"]);
    expect(table.method("/a.S/Do")).toEqual({ clientStreaming: false, serverStreaming: true });
    table.announce("x", served("b.T")); // x withdraws a.S
    table.forget("y");
    table.forget("x");
    expect(table.state("a.S")).toBe("not-serving");
    expect(changes).toEqual(["a.S:serving", "b.T:serving", "a.S:not-serving", "b.T:not-serving"]);
    table.announce("z", served("not a name!"));
    expect(table.services()).toEqual(["a.S", "b.T"]);
  });
});

describe("schema descriptors", () => {
  it("writes one FileDescriptorProto per file, named by import path, with its imports, types fully qualified and protoc's map entry names", async () => {
    const root = await loadProtoFiles([join(PACKAGE_PROTO_DIR, "swarm/transport/v1/envelope.proto")], [PACKAGE_PROTO_DIR]);
    const set = descriptor.FileDescriptorSet.decode(fileDescriptorSet(root, [PACKAGE_PROTO_DIR])) as unknown as { file: { name: string; dependency: string[]; messageType: any[] }[] };
    const names = set.file.map((file) => file.name);
    expect(names).toContain("google/protobuf/struct.proto");
    // imports come before the files importing them
    expect(names.indexOf("swarm/transport/v1/control.proto")).toBeLessThan(names.indexOf("swarm/transport/v1/envelope.proto"));
    const envelope = set.file.find((file) => file.name === "swarm/transport/v1/envelope.proto")!;
    expect(envelope.dependency.sort()).toEqual(["swarm/transport/v1/control.proto", "swarm/transport/v1/data.proto", "swarm/transport/v1/version.proto"]);
    const message = envelope.messageType.find((m) => m.name === "Envelope");
    expect(message.field.find((f: any) => f.name === "headers").typeName).toBe(".swarm.transport.v1.Envelope.HeadersEntry");
    expect(message.nestedType[0].name).toBe("HeadersEntry");
    // and back: the descriptors alone build the same types
    const back = protobuf.Root.fromDescriptor(fileDescriptorSet(root, [PACKAGE_PROTO_DIR]));
    expect(back.lookupType("swarm.transport.v1.Envelope").fieldsArray.map((f) => f.name)).toEqual(root.lookupType("swarm.transport.v1.Envelope").fieldsArray.map((f) => f.name));
    const pool = new DescriptorPool();
    pool.add(fileDescriptorSet(root, [PACKAGE_PROTO_DIR]));
    expect(pool.fileContainingSymbol(".swarm.transport.v1.Control.operation")).toBeUndefined();
    expect(pool.fileContainingSymbol("swarm.transport.v1.Envelope")?.length).toBe(5);
  });
});
