/**
 * What a transport's `send` returns when the message has left synchronously (the common case):
 * one settled promise shared by every transport of this package, so a caller that only needs
 * to hear of failures (the Demux) can recognise it and skip `then`, which would cost a promise,
 * a reaction and a microtask per message. Any other promise is handled as usual.
 * @internal
 */
export const SENT: Promise<void> = Promise.resolve();
