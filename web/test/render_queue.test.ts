import { test } from "node:test";
import assert from "node:assert/strict";
import { LatestRenderQueue } from "../src/latent/render_queue";

// The queue paces itself with animation frames; Node has none: ~60 Hz timers stand in.
Object.assign(globalThis, {
  window: globalThis,
  requestAnimationFrame: (callback: (t: number) => void) => setTimeout(() => callback(performance.now()), 16) as unknown as number,
  cancelAnimationFrame: (id: number) => clearTimeout(id),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder(ms = 20) {
  const done: number[] = [];
  let running = 0;
  let most = 0;
  let started: (() => void) | null = null;
  const queue = new LatestRenderQueue<number>(async (job) => {
    running += 1;
    most = Math.max(most, running);
    started?.();
    await sleep(ms);
    running -= 1;
    if (job < 0) throw new Error(`job ${job} failed`);
    done.push(job);
  }, (error) => errors.push(error.message));
  const errors: string[] = [];
  const nextStart = () => new Promise<void>((resolve) => (started = resolve));
  return { queue, done, errors, nextStart, most: () => most };
}

test("requests in one frame coalesce into one render of the latest", async () => {
  const { queue, done } = recorder();
  for (let i = 1; i <= 5; i++) queue.request(i);
  await queue.idle();
  assert.deepEqual(done, [5]);
  const { requested, rendered, dropped, times } = queue.stats;
  assert.deepEqual({ requested, rendered, dropped, renders: times.length }, { requested: 5, rendered: 1, dropped: 4, renders: 1 });
});

test("while one renders, only the newest request waits; stale ones are dropped", async () => {
  const { queue, done, nextStart, most } = recorder();
  const first = nextStart();
  queue.request(1);
  await first;
  queue.request(2);
  queue.request(3);
  queue.request(4);
  assert.equal(queue.busy(), true);
  await queue.idle();
  assert.deepEqual(done, [1, 4]);
  assert.equal(queue.stats.dropped, 2);
  assert.equal(most(), 1);
  assert.equal(queue.busy(), false);
});

test("a failed render is reported and the queue carries on", async () => {
  const { queue, done, errors, nextStart } = recorder();
  const first = nextStart();
  queue.request(-1);
  await first;
  queue.request(7);
  await queue.idle();
  assert.deepEqual(errors, ["job -1 failed"]);
  assert.deepEqual(done, [7]);
  assert.equal(queue.stats.rendered, 1);
});

test("close() drops what is pending, releases idle() waiters and ignores later requests", async () => {
  const { queue, done, nextStart } = recorder(30);
  const first = nextStart();
  queue.request(1);
  await first;
  queue.request(2);
  const idle = queue.idle();
  queue.close();
  await idle;
  queue.request(3);
  await sleep(80);
  assert.deepEqual(done, [1]);
  assert.equal(queue.stats.requested, 2);
});

test("idle() resolves at once when nothing is queued", async () => {
  const { queue } = recorder();
  let resolved = false;
  void queue.idle().then(() => (resolved = true));
  await Promise.resolve();
  assert.equal(resolved, true);
});
