import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that spend minutes waiting on real time (the automatic switch waits out a grace period
 * on the real minute scheduler) with almost no CPU. They start first, in a worker of their own,
 * so they wait beside the rest of the suite instead of adding their minutes after it.
 */
const WAITING_FILES = ["tests/integration/auto-switch.test.ts"];

class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (f: TestSpecification) => WAITING_FILES.some((w) => f.moduleId.endsWith(w));
    return [...sorted.filter(waits), ...sorted.filter((f) => !waits(f))];
  }
}

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "components/**/*.test.ts", "tests/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    // Vitest's default (one worker fewer than the cores) is a single worker on two cores, which
    // would run the waiting files alone; two workers let them wait while the others run.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    sequence: { sequencer: WaitingFilesFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
