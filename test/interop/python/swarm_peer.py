"""A swarm-transport peer in Python, written from docs/wire-format.md alone.

It speaks to a hub over WebSocket: frames ([F1]-[F5]), the handshake (5.2), heartbeats (5.4),
end-to-end credit (5.5), a resumable session with Acks (5.7), compression, and the RPC and
pub/sub envelopes (sections 3 and 4). Message classes come from `protoc --python_out` (put the
output directory on PYTHONPATH). Needs Debian's python3-protobuf and python3-websockets.
"""

import asyncio
import gzip
import itertools
import time
import zlib

import websockets
from google.protobuf import json_format, struct_pb2

from swarm.transport.v1 import control_pb2, data_pb2, envelope_pb2

FLAG_COMPRESSED = 0x01
FLAG_BATCH = 0x02
STREAM_WINDOW = 64
_ids = itertools.count(1)


class ProtocolError(Exception):
    pass


# ---- frames (section 1) -------------------------------------------------------------------

def read_varint(data, at):
    shift = value = 0
    while True:
        if at >= len(data):
            raise ProtocolError("varint runs past the batch")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def gunzip(content, limit):
    """Inflates gzip, stopping at `limit` bytes ([F4]: a bomb costs at most that)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(content, limit + 1)
    if len(out) > limit:
        raise ProtocolError(f"frame inflates past maxMessageSize {limit}")
    return out


def frame_bodies(frame, limit):
    """The envelope bodies of one frame, plain or batch ([F1]-[F3])."""
    if len(frame) == 0:
        raise ProtocolError("empty frame")
    flags = frame[0]
    if flags & ~(FLAG_COMPRESSED | FLAG_BATCH):
        raise ProtocolError(f"reserved flag bits set: {flags:#04x}")
    content = bytes(frame[1:])
    if flags & FLAG_COMPRESSED:
        content = gunzip(content, limit)
    if len(content) > limit:
        raise ProtocolError("frame over maxMessageSize")
    if not flags & FLAG_BATCH:
        return [content], flags
    bodies, at = [], 0
    while at < len(content):
        length, at = read_varint(content, at)
        if at + length > len(content):
            raise ProtocolError("batch record overruns the frame")
        bodies.append(content[at:at + length])
        at += length
    if not bodies:
        raise ProtocolError("empty batch")
    return bodies, flags


# ---- envelopes ----------------------------------------------------------------------------

def envelope(source, destination=None):
    env = envelope_pb2.Envelope()
    env.id = next(_ids)
    env.timestamp_ms = int(time.time() * 1000)
    env.source = source
    if destination is not None:
        env.destination = destination
    env.version.major = 1
    return env


def json_data(value):
    data = data_pb2.Data()
    data.json.CopyFrom(json_format.ParseDict(value, struct_pb2.Value()))
    return data


def binary_data(payload):
    data = data_pb2.Data()
    data.binary = payload
    return data


def data_value(data):
    """The JSON value or bytes a Data carries (None when it carries nothing)."""
    kind = data.WhichOneof("kind")
    if kind == "json":
        return json_format.MessageToDict(data.json)
    if kind == "binary":
        return data.binary
    return None


def control_arm(env):
    return env.control.WhichOneof("operation") if env.WhichOneof("payload") == "control" else None


def is_sequenced(env):
    """[S1]: everything but Hello, HelloAck, Goodbye, Ack and Heartbeat."""
    kind = env.WhichOneof("payload")
    if kind == "heartbeat":
        return False
    return control_arm(env) not in ("hello", "hello_ack", "goodbye", "ack")


# ---- the peer -----------------------------------------------------------------------------

class Peer:
    """One agent connected to a hub."""

    def __init__(self, url, agent_id, capabilities=("compression", "batch", "resume"), receive_window=None):
        self.url = url
        self.id = agent_id
        self.capabilities = list(capabilities)
        self.receive_window = receive_window
        self.hub_id = None
        self.hub_metadata = {}
        self.negotiated = []
        self.max_message_size = 10 << 20
        self.compress_out = False
        self.threshold = 1024
        self.ws = None
        self.frame_flags_seen = []  # flags of every frame received, for tests
        # session (5.7)
        self.session = None
        self.sent = 0
        self.received = 0
        self.acked = 0
        self.kept = []  # bodies sent and not yet acknowledged, oldest first
        self.ack_sent = 0
        self.bytes_since_ack = 0
        self.ack_timer = None
        self.resumed = False
        # credit (5.5)
        self.windows = {}  # destination -> credit left (float("inf"): unmetered)
        self.taken = {}  # sender -> envelopes taken since our last Credit
        self.paused = False
        # what arrived for the application, and who waits for it
        self.pending = []
        self.changed = asyncio.Condition()
        self.closed_code = None
        self.goodbye = None
        self.peers_gone = []
        self.undeliverable = []
        # pub/sub interest (4)
        self.subscriptions = {}  # our id -> (pattern, queue group)
        self.interest = {}  # (agent, id) -> pattern
        self.tasks = []
        self.last_sent = self.last_seen = time.monotonic()
        self.heartbeat_seq = 0

    # -- connection --------------------------------------------------------------------------

    async def connect(self):
        """Opens the WebSocket and handshakes (5.2); resumes the session if there is one (5.7)."""
        self.ws = await websockets.connect(self.url, max_size=None, compression=None, ping_interval=None)
        metadata = {}
        if self.receive_window is not None:
            metadata["receive_window"] = str(self.receive_window)
        if self.session is not None:
            metadata["session"] = self.session
            metadata["resume_received"] = str(self.received)
        hello = envelope(self.id)
        hello.control.hello.version.major = 1
        hello.control.hello.capabilities.extend(self.capabilities)
        for key, value in metadata.items():
            hello.control.hello.metadata[key] = value
        await self.ws.send(b"\x00" + hello.SerializeToString())  # [H1]: plain, not a batch
        bodies, _ = frame_bodies(await self.ws.recv(), self.max_message_size)
        answer = envelope_pb2.Envelope.FromString(bodies[0])
        arm = control_arm(answer)
        if arm == "goodbye":
            raise ProtocolError(f"refused: {answer.control.goodbye.code}: {answer.control.goodbye.reason}")
        if arm != "hello_ack":
            raise ProtocolError(f"expected HelloAck, got {arm or answer.WhichOneof('payload')}")
        ack = answer.control.hello_ack
        self.hub_id = answer.source  # [H2]
        self.hub_metadata = dict(ack.metadata)
        self.negotiated = list(ack.capabilities)
        self.max_message_size = int(self.hub_metadata.get("max_message_size", self.max_message_size))
        self.compress_out = "compression" in self.negotiated
        self.last_sent = self.last_seen = time.monotonic()
        self.closed_code = None
        await self._start_session()
        self.tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._heartbeats())]
        return self.hub_metadata

    async def _start_session(self):
        md = self.hub_metadata
        old = self.session
        self.resumed = old is not None and md.get("resumed") == "true" and md.get("session") == old
        if self.resumed:
            # [S4]: resend, in order, what the hub has not received
            hub_received = int(md.get("resume_received", "0"))
            self._acknowledge(hub_received)
            self.ack_sent = self.received
            for body in list(self.kept):
                await self._write([body])
            return
        # a new session (or none): counts and windows start over ([S5], [C4])
        self.session = md.get("session") if "resume" in self.negotiated else None
        self.sent = self.received = self.acked = self.ack_sent = 0
        self.kept = []
        self.windows = {}
        self.taken = {}

    def drop(self):
        """Cuts the connection abruptly, as a network failure would (no Goodbye, no close frame)."""
        for task in self.tasks:
            task.cancel()
        self.ws.transport.abort()

    async def close(self):
        for task in self.tasks:
            task.cancel()
        if self.ws is not None and not self.ws.closed:
            bye = envelope(self.id)
            bye.control.goodbye.reason = "done"
            await self._send_env(bye)
            await self.ws.close(1000, "done")

    # -- writing -----------------------------------------------------------------------------

    async def _write(self, bodies):
        for body in bodies:
            flags, content = 0, body
            # [F5]: compress only when negotiated, at or over the threshold, and smaller
            if self.compress_out and len(body) >= self.threshold:
                packed = gzip.compress(body)
                if len(packed) < len(body):
                    flags, content = FLAG_COMPRESSED, packed
            await self.ws.send(bytes([flags]) + content)
        self.last_sent = time.monotonic()

    async def _send_env(self, env):
        body = env.SerializeToString()
        if len(body) > self.max_message_size:
            raise ProtocolError(f"envelope of {len(body)} bytes over the hub's max_message_size")
        if self.session is not None and is_sequenced(env):
            self.sent += 1
            self.kept.append(body)
        await self._write([body])

    async def send_control(self, **arm):
        (name, value), = arm.items()
        env = envelope(self.id)
        getattr(env.control, name).CopyFrom(value)
        await self._send_env(env)

    async def send_to(self, destination, env):
        """Sends to another agent within its credit window ([C2]), looking it up first."""
        env.destination = destination
        if destination != self.hub_id:
            async with self.changed:
                if destination not in self.windows:
                    self.windows[destination] = None
                    await self.send_control(lookup=control_pb2.Lookup(address=destination))
                await self.changed.wait_for(lambda: self.windows.get(destination) is not None and (self.windows[destination] > 0 or self.windows[destination] == -1))
                if self.windows[destination] == -1:
                    del self.windows[destination]
                    raise ProtocolError(f"no agent {destination!r}")
                self.windows[destination] -= 1
        await self._send_env(env)

    async def broadcast(self, env):
        await self._send_env(env)

    # -- reading -----------------------------------------------------------------------------

    async def _read(self):
        try:
            async for frame in self.ws:
                self.last_seen = time.monotonic()
                bodies, flags = frame_bodies(frame, self.max_message_size)
                self.frame_flags_seen.append(flags)
                for body in bodies:
                    await self._on_envelope(envelope_pb2.Envelope.FromString(body), len(body))
        except websockets.ConnectionClosed as closed:
            self.closed_code = closed.code
        finally:
            if self.closed_code is None and self.ws.close_code is not None:
                self.closed_code = self.ws.close_code
            async with self.changed:
                self.changed.notify_all()

    async def _on_envelope(self, env, size):
        if self.session is not None and is_sequenced(env):
            self.received += 1
            self.bytes_since_ack += size
            if self.received - self.ack_sent >= 32 or self.bytes_since_ack >= 256 * 1024:
                await self._ack()
            elif self.ack_timer is None:
                self.ack_timer = asyncio.get_running_loop().call_later(0.01, lambda: asyncio.ensure_future(self._ack()))
        kind = env.WhichOneof("payload")
        arm = control_arm(env)
        async with self.changed:
            if kind == "heartbeat":
                pass
            elif arm == "ack":
                self._acknowledge(env.control.ack.received)
            elif arm == "lookup_result":
                result = env.control.lookup_result
                self.windows[result.address] = (result.window if result.window > 0 else float("inf")) if result.found else -1
            elif arm == "credit":
                credit = env.control.credit
                if self.windows.get(credit.address) is not None:
                    self.windows[credit.address] += credit.count
            elif arm == "peer_gone":
                self.peers_gone.append(env.control.peer_gone.address)
                self.windows.pop(env.control.peer_gone.address, None)
            elif arm == "undeliverable":
                self.undeliverable.append(env.control.undeliverable.code)
            elif arm == "goodbye":
                self.goodbye = (env.control.goodbye.code, env.control.goodbye.reason)
            elif arm == "set_compression":
                self.compress_out = env.control.set_compression.enabled and "compression" in self.negotiated
                self.threshold = env.control.set_compression.threshold_bytes
            elif arm == "flow_control":
                self.paused = env.control.flow_control.pause
            elif arm in ("subscribe", "unsubscribe", "interest_sync"):
                await self._on_interest(env, arm)
            else:
                self.pending.append(env)
            self.changed.notify_all()

    def _acknowledge(self, received):
        if received > self.acked:
            del self.kept[: received - self.acked]
            self.acked = received

    async def _ack(self):
        if self.ack_timer is not None:
            self.ack_timer.cancel()
            self.ack_timer = None
        if self.received == self.ack_sent or self.ws is None or self.ws.closed:
            return
        self.ack_sent = self.received
        self.bytes_since_ack = 0
        ack = envelope(self.id)
        ack.control.ack.received = self.received
        await self._send_env(ack)

    async def _heartbeats(self):
        """[K1]/[K2]: heartbeat when idle for the hub's interval; give up on a silent hub."""
        interval = int(self.hub_metadata.get("heartbeat_interval_ms", "10000")) / 1000
        timeout = int(self.hub_metadata.get("heartbeat_timeout_ms", "30000")) / 1000
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval / 3)
            now = time.monotonic()
            if timeout > 0 and now - self.last_seen > timeout:
                bye = envelope(self.id)
                bye.control.goodbye.reason = "heartbeat timeout"
                bye.control.goodbye.code = "Timeout"
                await self._send_env(bye)
                await self.ws.close(1008, "heartbeat timeout")
                return
            if now - self.last_sent >= interval * 0.66:
                self.heartbeat_seq += 1
                beat = envelope(self.id)
                beat.heartbeat.seq = self.heartbeat_seq
                await self._send_env(beat)
            await self._ack()

    # -- the application side ----------------------------------------------------------------

    async def next(self, match=lambda env: True, timeout=10):
        """Takes the first envelope for the application that `match`es, waiting up to `timeout` s."""
        async def take():
            async with self.changed:
                await self.changed.wait_for(lambda: any(match(e) for e in self.pending))
                env = next(e for e in self.pending if match(e))
                self.pending.remove(env)
            await self._taken(env)
            return env
        return await asyncio.wait_for(take(), timeout)

    async def _taken(self, env):
        """[C3]: grant the sender credit once half our window is taken from it."""
        if self.receive_window is None or env.destination != self.id or env.source == self.hub_id:
            return
        count = self.taken.get(env.source, 0) + 1
        if count >= max(1, self.receive_window // 2):
            self.taken[env.source] = 0
            await self.send_control(credit=control_pb2.Credit(address=env.source, count=count))
        else:
            self.taken[env.source] = count

    # -- pub/sub (section 4) -----------------------------------------------------------------

    async def _on_interest(self, env, arm):
        if arm == "subscribe":
            sub = env.control.subscribe
            self.interest[(env.source, sub.subscription_id)] = sub.pattern
        elif arm == "unsubscribe":
            self.interest.pop((env.source, env.control.unsubscribe.subscription_id), None)
        else:  # interest_sync: answer with our subscriptions, to the asker ([P2])
            for sid, (pattern, group) in self.subscriptions.items():
                reply = envelope(self.id)
                reply.control.subscribe.CopyFrom(control_pb2.Subscribe(subscription_id=sid, pattern=pattern, queue_group=group))
                asyncio.ensure_future(self.send_to(env.source, reply))
        await self._taken(env)

    async def subscribe(self, sid, pattern, queue_group=""):
        self.subscriptions[sid] = (pattern, queue_group)
        env = envelope(self.id)
        env.control.subscribe.CopyFrom(control_pb2.Subscribe(subscription_id=sid, pattern=pattern, queue_group=queue_group))
        await self.broadcast(env)

    async def interest_sync(self):
        env = envelope(self.id)
        env.control.interest_sync.SetInParent()
        await self.broadcast(env)

    async def publish(self, to, name, value, headers=None):
        env = envelope(self.id)
        env.event.name = name
        env.event.data.CopyFrom(json_data(value))
        for key, val in (headers or {}).items():
            env.headers[key] = val
        await self.send_to(to, env)

    # -- RPC (section 3) ---------------------------------------------------------------------

    def response_for(self, cid):
        return lambda env: env.WhichOneof("payload") == "response" and env.response.correlation_id == cid

    def frame_for(self, cid):
        return lambda env: env.WhichOneof("payload") == "stream" and env.stream.correlation_id == cid and env.stream.from_callee

    def either_for(self, cid):
        return lambda env: self.response_for(cid)(env) or self.frame_for(cid)(env)

    async def request(self, to, method, params=None, timeout_ms=0, metadata=None):
        cid = next(_ids)
        env = envelope(self.id)
        env.request.correlation_id = cid
        env.request.method = method
        env.request.timeout_ms = timeout_ms
        if params is not None:
            env.request.params.CopyFrom(params)
        for key, val in (metadata or {}).items():
            env.headers[key] = val
        await self.send_to(to, env)
        return cid

    async def unary(self, to, method, params, timeout_ms=0):
        cid = await self.request(to, method, params, timeout_ms)
        return (await self.next(self.response_for(cid))).response

    async def finish(self, cid):
        """Takes what is left of call `cid` (credit frames nobody waited for), so its sender's window comes back."""
        while True:
            async with self.changed:
                left = next((e for e in self.pending if self.frame_for(cid)(e)), None)
                if left is None:
                    return
                self.pending.remove(left)
            await self._taken(left)

    async def read_stream(self, to, cid):
        """Response messages of call `cid` until its Response ([R4]), granting credit as read ([R5])."""
        messages, read = [], 0
        while True:
            env = await self.next(self.either_for(cid))
            if env.WhichOneof("payload") == "response":
                return messages, env.response
            messages.append(env.stream.message)
            read += 1
            if read == STREAM_WINDOW // 2:
                grant = envelope(self.id)
                grant.stream.correlation_id = cid
                grant.stream.credit = read
                grant.stream.from_callee = False
                await self.send_to(to, grant)
                read = 0

    async def send_stream(self, to, cid, messages):
        """Request messages within the callee's credit ([R5]), then half-close."""
        credit = STREAM_WINDOW
        for message in messages:
            while credit == 0:
                env = await self.next(lambda e: self.frame_for(cid)(e) and e.stream.WhichOneof("frame") == "credit")
                credit += env.stream.credit
            frame = envelope(self.id)
            frame.stream.correlation_id = cid
            frame.stream.message.CopyFrom(message)
            await self.send_to(to, frame)
            credit -= 1
        close = envelope(self.id)
        close.stream.correlation_id = cid
        close.stream.half_close.SetInParent()
        await self.send_to(to, close)
