"""Interop scenarios of the Python peer against a hub and a TypeScript agent.

    PYTHONPATH=<protoc --python_out dir>:test/interop/python \\
        /usr/bin/python3 test/interop/python/scenarios.py ws://127.0.0.1:PORT ts_agent

Prints one JSON object per line, {"scenario": name, ...results}; the TypeScript test
(test/interop/python-peer.test.ts) checks them. A scenario that raises prints {"error": ...}.
"""

import asyncio
import json
import sys
import traceback

from swarm.examples.v1 import compute_pb2
from swarm.transport.v1 import control_pb2

from swarm_peer import Peer, binary_data, data_value, envelope, json_data

COMPUTE = "/swarm.examples.v1.ComputeService/"


def report(scenario, **results):
    print(json.dumps({"scenario": scenario, **results}), flush=True)


def outcome(response):
    """("result", value) or ("error", code, message) of a Response."""
    which = response.WhichOneof("outcome")
    if which == "error":
        return {"error": response.error.code, "message": response.error.message}
    if which == "result":
        return {"result": True}
    return {"result": None}  # unset: the end of a response stream ([R4])


async def handshake(url, agent):
    py = Peer(url, "py", receive_window=4)
    metadata = await py.connect()
    report("handshake", hub=py.hub_id, capabilities=sorted(py.negotiated), metadata=sorted(metadata), session=py.session is not None)
    return py


async def unary_calls(py, agent):
    fib = await py.unary(agent, COMPUTE + "Fibonacci", binary_data(compute_pb2.FibonacciRequest(n=42).SerializeToString()))
    value = compute_pb2.FibonacciResponse.FromString(fib.result.binary).value
    as_json = await py.unary(agent, COMPUTE + "Fibonacci", json_data({"n": 10}))
    untyped = await py.unary(agent, "compute_fibonacci", json_data({"n": 20}))
    unknown = await py.unary(agent, COMPUTE + "NoSuchMethod", binary_data(b""))
    too_big = await py.unary(agent, COMPUTE + "Fibonacci", binary_data(compute_pb2.FibonacciRequest(n=100).SerializeToString()))
    report(
        "unary_calls",
        binary=value,
        json=data_value(as_json.result),
        json_kind=as_json.result.WhichOneof("kind"),
        untyped=data_value(untyped.result),
        unknown=outcome(unknown),
        unencodable=outcome(too_big),
    )


async def server_streaming(py, agent):
    cid = await py.request(agent, COMPUTE + "CountTo", binary_data(compute_pb2.CountToRequest(n=200).SerializeToString()))
    messages, end = await py.read_stream(agent, cid)
    values = [compute_pb2.CountToResponse.FromString(m.binary).value for m in messages]
    report("server_streaming", count=len(values), in_order=values == list(range(1, 201)), end=outcome(end))


async def client_streaming(py, agent):
    cid = await py.request(agent, COMPUTE + "Sum")  # params unset: the messages follow as frames
    requests = [binary_data(compute_pb2.SumRequest(value=i).SerializeToString()) for i in range(1, 151)]
    await py.send_stream(agent, cid, requests)
    end = await py.next(py.response_for(cid))
    await py.finish(cid)
    total = compute_pb2.SumResponse.FromString(end.response.result.binary)
    report("client_streaming", total=total.total, count=total.count)


async def bidi_streaming(py, agent):
    cid = await py.request(agent, COMPUTE + "Chat")
    replies = []
    for text in ["one", "two", "three"]:
        frame = envelope(py.id)
        frame.stream.correlation_id = cid
        frame.stream.message.CopyFrom(binary_data(compute_pb2.ChatRequest(text=text).SerializeToString()))
        await py.send_to(agent, frame)
        answer = await py.next(py.frame_for(cid))  # answered before the next one is sent
        reply = compute_pb2.ChatResponse.FromString(answer.stream.message.binary)
        replies.append(f"{reply.seq}:{reply.text}")
    close = envelope(py.id)
    close.stream.correlation_id = cid
    close.stream.half_close.SetInParent()
    await py.send_to(agent, close)
    end = await py.next(py.response_for(cid))
    await py.finish(cid)
    report("bidi_streaming", replies=replies, end=outcome(end.response))


async def deadline(py, agent):
    # a slow stream and a 200 ms timeout, and no Cancel: the callee ends it ([R3])
    cid = await py.request(agent, COMPUTE + "CountTo", binary_data(compute_pb2.CountToRequest(n=3, delay_ms=60_000).SerializeToString()), timeout_ms=200)
    messages, end = await py.read_stream(agent, cid)
    report("deadline", messages=len(messages), end=outcome(end))


async def pubsub(py, agent):
    await py.subscribe(1, "py.>")
    await py.interest_sync()
    # the agent's subscriptions come back ([P2]); wait for the two the test made
    async with py.changed:
        await asyncio.wait_for(py.changed.wait_for(lambda: {"compute.fibonacci", "from-python.>"} <= set(py.interest.values())), 10)
    # a topic request ([P4])
    await py.publish(agent, "compute.fibonacci", {"n": 10}, headers={"swarm-reply": "7001"})
    reply = await py.next(py.response_for(7001))
    # an event to the agent's subscription ([P3])
    await py.publish(agent, "from-python.hello", {"greeting": "hi"})
    # the agent publishes 50 events to us: with a window of 4 it must wait for our Credit ([C2], [C3])
    call = asyncio.ensure_future(py.unary(agent, "burst", json_data({"subject": "py.burst", "count": 50})))
    seen = []
    for _ in range(50):
        env = await py.next(lambda e: e.WhichOneof("payload") == "event" and e.event.name == "py.burst")
        seen.append(data_value(env.event.data)["i"])
    burst = await call
    report(
        "pubsub",
        interest=sorted(set(py.interest.values())),
        reply=data_value(reply.response.result),
        burst=outcome(burst),
        events=len(seen),
        in_order=seen == list(range(50)),
    )


async def resume(py, agent):
    # the agent starts 200 events to us; we take 10, send 5 events of our own, and the link drops
    call = asyncio.ensure_future(py.unary(agent, "burst", json_data({"subject": "py.resume", "count": 200})))
    seen = []
    for _ in range(10):
        env = await py.next(lambda e: e.WhichOneof("payload") == "event" and e.event.name == "py.resume")
        seen.append(data_value(env.event.data)["i"])
    for i in range(5):
        await py.publish(agent, "from-python.seq", {"i": i})
    session, unacked = py.session, len(py.kept)
    py.drop()
    await py.connect()  # Hello names the session: both sides resend what the other lacks ([S4])
    resumed, same = py.resumed, py.session == session
    for i in range(5, 10):
        await py.publish(agent, "from-python.seq", {"i": i})
    while len(seen) < 200:
        env = await py.next(lambda e: e.WhichOneof("payload") == "event" and e.event.name == "py.resume")
        seen.append(data_value(env.event.data)["i"])
    await call
    report("resume", resumed=resumed, same_session=same, unacked_at_drop=unacked, events=len(seen), exactly_once_in_order=seen == list(range(200)))


async def compression(py, agent):
    payload = bytes(i % 16 for i in range(64 * 1024))  # compresses well
    before = len(py.frame_flags_seen)
    echoed = await py.unary(agent, COMPUTE + "Echo", binary_data(compute_pb2.EchoRequest(payload=payload).SerializeToString()))
    compressed_reply = any(flags & 0x01 for flags in py.frame_flags_seen[before:])
    intact = compute_pb2.EchoResponse.FromString(echoed.result.binary).payload == payload
    # SetCompression: the hub sends plain frames to us from now on ([W6])
    await py.send_control(set_compression=control_pb2.SetCompression(enabled=False, threshold_bytes=1024))
    before = len(py.frame_flags_seen)
    await py.unary(agent, COMPUTE + "Echo", binary_data(compute_pb2.EchoRequest(payload=payload).SerializeToString()))
    plain_after = not any(flags & 0x01 for flags in py.frame_flags_seen[before:])
    report("compression", negotiated="compression" in py.negotiated, compressed_reply=compressed_reply, intact=intact, plain_after_set_compression=plain_after)


async def heartbeats(py, agent):
    # idle for twice the hub's heartbeat timeout: our heartbeats keep the link ([K1])
    timeout_s = int(py.hub_metadata["heartbeat_timeout_ms"]) / 1000
    await asyncio.sleep(2 * timeout_s)
    fib = await py.unary(agent, COMPUTE + "Fibonacci", binary_data(compute_pb2.FibonacciRequest(n=7).SerializeToString()))
    report("heartbeats", alive=py.closed_code is None, value=compute_pb2.FibonacciResponse.FromString(fib.result.binary).value, sent=py.heartbeat_seq)


async def main(url, agent):
    py = await handshake(url, agent)
    for scenario in (unary_calls, server_streaming, client_streaming, bidi_streaming, deadline, pubsub, resume, compression, heartbeats):
        try:
            await asyncio.wait_for(scenario(py, agent), 30)
        except Exception as error:  # report and go on: the test names what failed
            report(scenario.__name__, error=f"{type(error).__name__}: {error}", trace=traceback.format_exc())
    await py.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
