// `npm run fuzz -- h2 [--seconds N] [--seed N] [--connections N]`: the edge's HTTP/2 fuzzer
// (h2-fuzz/main.ts). Anything else goes to the WebSocket hub's frame fuzzer (fuzz/main.ts,
// `npm run fuzz -- --frames 1000000`).
const [target] = process.argv.slice(2);
await (target === "h2" ? import("./h2-fuzz/main.js") : import("./fuzz/main.js"));
