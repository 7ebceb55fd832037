import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Clock } from "@/server/domain/clock";
import { startScheduler, type SchedulerHandle, type Tick } from "./scheduler";

const clock: Clock = { now: () => new Date(Date.now()) };
const PERIOD = 60_000;
const START = new Date("2026-11-24T12:00:20.000Z"); // 40 s before the next minute

const handles: SchedulerHandle[] = [];
let keySeq = 0;

function start(tick: Tick, o: { key?: string; periodMs?: number; log?: pino.Logger } = {}) {
  const handle = startScheduler({
    key: o.key ?? `test-${++keySeq}`,
    clock,
    log: o.log ?? pino({ level: "silent" }),
    tick,
    periodMs: o.periodMs,
  });
  handles.push(handle);
  return handle;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});

afterEach(async () => {
  // stop() waits for a tick in flight, which may itself wait on a (fake) timer: let them run
  const stopping = handles.splice(0).map((h) => h.stop());
  await vi.runAllTimersAsync();
  await Promise.all(stopping);
  vi.useRealTimers();
});

describe("startScheduler", () => {
  it("ticks at the top of each period, passing the clock's time", async () => {
    const times: number[] = [];
    start((now) => {
      times.push(now.getTime());
    });
    await vi.advanceTimersByTimeAsync(39_999);
    expect(times).toEqual([]); // not at start, not before the boundary
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([Date.parse("2026-11-24T12:01:00Z")]);
    await vi.advanceTimersByTimeAsync(3 * PERIOD);
    expect(times).toEqual(["12:01", "12:02", "12:03", "12:04"].map((t) => Date.parse(`2026-11-24T${t}:00Z`)));
  });

  it("honours periodMs and stays aligned when a tick takes time", async () => {
    const times: number[] = [];
    start(
      async (now) => {
        times.push(now.getTime());
        await new Promise((r) => setTimeout(r, 1_500)); // a slow tick
      },
      { periodMs: 10_000 },
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times.length).toBe(6);
    for (const t of times) expect(t % 10_000).toBe(0);
    expect(new Set(times).size).toBe(times.length);
  });

  it("a tick that throws or rejects does not stop later ticks, and is logged", async () => {
    const log = pino({ level: "silent" });
    const errorSpy = vi.spyOn(log, "error");
    let calls = 0;
    start(
      async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
        if (calls === 2) await Promise.reject(new Error("async boom"));
      },
      { log },
    );
    await vi.advanceTimersByTimeAsync(40_000 + 3 * PERIOD);
    expect(calls).toBe(4);
    expect(errorSpy).toHaveBeenCalledTimes(2);
    const firstArg = errorSpy.mock.calls[0]![0] as unknown as { err: Error };
    expect(firstArg.err.message).toBe("boom");
  });

  it("a synchronous (non-async) tick that throws does not stop the loop", async () => {
    let calls = 0;
    start(() => {
      calls++;
      throw new Error("sync boom");
    });
    await vi.advanceTimersByTimeAsync(40_000 + 2 * PERIOD);
    expect(calls).toBe(3);
  });

  it("starting twice with the same key returns the running handle and does not double the ticks", async () => {
    const first = vi.fn();
    const second = vi.fn();
    const a = start(first, { key: "same" });
    const b = start(second, { key: "same" });
    expect(b).toBe(a);
    await vi.advanceTimersByTimeAsync(40_000 + 2 * PERIOD);
    expect(first).toHaveBeenCalledTimes(3);
    expect(second).not.toHaveBeenCalled();
  });

  it("different keys run independently", async () => {
    const a = vi.fn();
    const b = vi.fn();
    expect(start(a, { key: "k-a" })).not.toBe(start(b, { key: "k-b" }));
    await vi.advanceTimersByTimeAsync(40_000);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
  });

  it("stop() ends the ticks and frees the key for a new start", async () => {
    const first = vi.fn();
    const h1 = start(first, { key: "restart" });
    await vi.advanceTimersByTimeAsync(40_000);
    expect(first).toHaveBeenCalledTimes(1);
    await h1.stop();
    await vi.advanceTimersByTimeAsync(5 * PERIOD);
    expect(first).toHaveBeenCalledTimes(1);

    const second = vi.fn();
    const h2 = start(second, { key: "restart" });
    expect(h2).not.toBe(h1);
    await vi.advanceTimersByTimeAsync(PERIOD);
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).toHaveBeenCalledTimes(1);
  });

  it("stop() waits for a tick in flight and no tick follows it", async () => {
    let finished = false;
    const tick = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 5_000));
      finished = true;
    });
    const h = start(tick);
    await vi.advanceTimersByTimeAsync(40_000); // the tick starts and is now waiting
    expect(tick).toHaveBeenCalledTimes(1);
    let stopped = false;
    const stopping = h.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(5 * PERIOD);
    expect(tick).toHaveBeenCalledTimes(1);
  });
});
