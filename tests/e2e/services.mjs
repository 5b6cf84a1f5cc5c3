// Processes the end-to-end tests start and wait for: free ports, exits,
// and Redis (the machine's, else one of the test's own).
import { spawn } from "node:child_process";
import net from "node:net";

export const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
export const exited = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- Redis: the machine's (REDIS_URL, default 127.0.0.1:6379), else Debian's redis-server on a free port.
function answersPing(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.on("error", () => resolve(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => { socket.destroy(); resolve(data.toString().startsWith("+PONG")); });
  });
}
export async function redisUrl(children) {
  const wanted = new URL(process.env.REDIS_URL || "redis://127.0.0.1:6379/0");
  if (await answersPing(Number(wanted.port || 6379), wanted.hostname)) return wanted.href;
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  children.add(child);
  for (let i = 0; i < 100; i++) {
    if (await answersPing(port)) return `redis://127.0.0.1:${port}/0`;
    await sleep(50);
  }
  throw new Error("no Redis: none answers at REDIS_URL and redis-server did not start (apt-get install redis-server)");
}

