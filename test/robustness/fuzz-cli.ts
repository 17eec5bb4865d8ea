// `npm run fuzz -- h2 [--seconds N] [--seed N] [--connections N]`: the edge's HTTP/2 fuzzer
// (h2-fuzz/main.ts). Anything else goes to the WebSocket hub's frame fuzzer (fuzz/main.ts) where
// the tree has it.
const [target] = process.argv.slice(2);
if (target === "h2") {
  await import("./h2-fuzz/main.js");
} else {
  const hubFuzzer = "./fuzz/main.js";
  try {
    await import(hubFuzzer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    console.error("usage: npm run fuzz -- h2 [--seconds 300] [--seed N] [--connections 4]");
    process.exitCode = 2;
  }
}
