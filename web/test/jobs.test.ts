import { test } from "node:test";
import assert from "node:assert/strict";
import { JobRunner } from "../src/poems/jobs";
import { Throttle } from "../src/poems/throttle";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("starting a job stops the running one and waits for it to let go", async () => {
  const jobs = new JobRunner();
  const log: string[] = [];
  const changes: (string | null)[] = [];
  jobs.onChange((name) => changes.push(name));
  const first = jobs.run("write", async (signal) => {
    log.push("write starts");
    await new Promise((resolve) => signal.addEventListener("abort", resolve));
    await sleep(10); // finishing the current step takes a moment
    log.push("write let go");
    throw new Error("aborted mid-step"); // not reported: it was stopped
  }, (error) => log.push(`error: ${error.message}`));
  await sleep(5);
  assert.equal(jobs.running, "write");
  await jobs.run("game", async () => {
    log.push("game runs");
  }, (error) => log.push(`error: ${error.message}`));
  await first;
  assert.deepEqual(log, ["write starts", "write let go", "game runs"]);
  assert.deepEqual(changes, ["write", null, "game", null]);
  assert.equal(jobs.running, null);
});

test("a job's own error is reported; stop() with nothing running returns", async () => {
  const jobs = new JobRunner();
  const errors: string[] = [];
  await jobs.run("compare", async () => {
    throw new Error("snapshot missing");
  }, (error) => errors.push(error.message));
  assert.deepEqual(errors, ["snapshot missing"]);
  await jobs.stop();
  assert.equal(jobs.running, null);
});

test("Throttle flushes at most once per interval, and at once on now()", async () => {
  let flushes = 0;
  const throttle = new Throttle(() => (flushes += 1), 40);
  throttle.request();
  throttle.request();
  throttle.request();
  assert.equal(flushes, 0);
  await sleep(10);
  assert.equal(flushes, 1); // the first flush is not delayed
  throttle.request();
  await sleep(10);
  assert.equal(flushes, 1); // within 40 ms of the last one
  throttle.now();
  assert.equal(flushes, 2);
  await sleep(60);
  assert.equal(flushes, 2); // now() cancelled the pending one
});
