import type { Logger } from "pino";
import type { Clock } from "@/server/domain/clock";

/** One scheduler pass: decide what is due at `now` and dispatch it. Must not throw for long. */
export type Tick = (now: Date) => Promise<void> | void;

export interface SchedulerHandle {
  stop(): Promise<void>;
}

const RUNNING = Symbol.for("custodian.scheduler");
type Registry = { [RUNNING]?: Map<string, SchedulerHandle> };

/**
 * A minute-aligned loop (as Proxmox Backup Server's task scheduler): wakes at the top of each
 * minute, calls `tick`, logs any failure and carries on. Starting it twice for the same
 * catalog returns the running instance, so start-up code may call it freely.
 */
export function startScheduler(o: { key: string; clock: Clock; log: Logger; tick: Tick; periodMs?: number }): SchedulerHandle {
  const registry = ((globalThis as Registry)[RUNNING] ??= new Map());
  const existing = registry.get(o.key);
  if (existing) return existing;

  const period = o.periodMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    const now = o.clock.now().getTime();
    timer = setTimeout(run, period - (now % period));
    timer.unref();
  };
  const run = () => {
    inFlight = (async () => {
      const now = o.clock.now();
      try {
        await o.tick(now);
      } catch (err) {
        o.log.error({ err }, "scheduler tick failed; the next tick runs as usual");
      }
    })().finally(schedule);
  };

  const handle: SchedulerHandle = {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      registry.delete(o.key);
    },
  };
  registry.set(o.key, handle);
  o.log.info({ periodMs: period }, "scheduler started");
  schedule();
  return handle;
}
