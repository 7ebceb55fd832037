import { defineConfig } from "@playwright/test";

// Two real servers, each on a fresh catalog: one in demo mode (a user per role), one empty
// (first-start set-up). Both run the production build, as `npm start` does.
// E2E_PORT_BASE and E2E_DATA let two runs on one machine stay apart.
const PORT_BASE = Number(process.env.E2E_PORT_BASE ?? 3197);
export const DEMO_PORT = PORT_BASE;
export const EMPTY_PORT = PORT_BASE + 1;
/** A third port, free for specs that start their own processes (an agent). */
export const SPARE_PORT = PORT_BASE + 2;
const DATA_ROOT = process.env.E2E_DATA ?? ".e2e-data";
export const DEMO_DATA = `${DATA_ROOT}/demo`;
export const EMPTY_DATA = `${DATA_ROOT}/empty`;

const serve = (dir: string, port: number, extra: string) =>
  `rm -rf ${dir} && exec node bin/custodian.js serve --data ${dir} --port ${port} --host 127.0.0.1 --name e2e-${port} --log-level warn ${extra}`;

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  reporter: [["list"]],
  outputDir: `../${process.env.E2E_DATA ? `${DATA_ROOT}/` : ""}test-results`,
  use: {
    baseURL: `http://127.0.0.1:${DEMO_PORT}`,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // The network flags keep Chromium from reaching out to Google's services.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    },
  },
  webServer: [
    { command: serve(DEMO_DATA, DEMO_PORT, "--demo"), url: `http://127.0.0.1:${DEMO_PORT}/healthz`, cwd: "..", reuseExistingServer: false, timeout: 60_000 },
    { command: serve(EMPTY_DATA, EMPTY_PORT, "--no-demo"), url: `http://127.0.0.1:${EMPTY_PORT}/healthz`, cwd: "..", reuseExistingServer: false, timeout: 60_000 },
  ],
});
