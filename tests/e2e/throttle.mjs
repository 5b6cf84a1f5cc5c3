// A throttle shared through Redis by two replicas behind nginx.
import { check } from "./lib.mjs";

// --- Two replicas, one count: 20 clients at once through nginx, 60 requests,
// exactly 30 admitted (each replica counting alone would admit up to 60).
export async function throttleAcrossReplicas(web, answer) {
  console.log("A throttle across both replicas (Redis):");
  const statuses = [];
  const bodies = [];
  let next = 0;
  async function client() {
    while (next < 60) {
      next += 1;
      const reply = await answer(`${web}/api/schema/`);
      statuses.push(reply.status);
      if (reply.status === 429) bodies.push([reply.body, reply.headers.get("retry-after")]);
    }
  }
  await Promise.all(Array.from({ length: 20 }, client));
  const admitted = statuses.filter((s) => s === 200).length;
  check(admitted === 30 && statuses.length === 60 && statuses.every((s) => s === 200 || s === 429),
    `30 of 60 admitted at 30/m across the two replicas (${admitted}; ${JSON.stringify([...new Set(statuses)])})`);
  const [body, retryAfter] = bodies[0] || [];
  const wait = Number(retryAfter);
  check(wait >= 50 && wait <= 60 && body === JSON.stringify({ detail: `Request was throttled. Expected available in ${wait} seconds.` }),
    `the 429 passes nginx untouched, with Retry-After (${retryAfter} ${body})`);
}
