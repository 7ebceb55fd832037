/** @type {import('next').NextConfig} */
const nextConfig = {
  // The API, the scheduler and (later) the engine run in the custom server process
  // (server/http/server.ts), not inside Next's bundle; Next only renders the UI.
  // Keep native addons external in case a server component ever imports them.
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2", "pino"],
  poweredByHeader: false,
  // Parallel work on one checkout (several engineers' builds and browser tests at once) can
  // build into separate folders; the server reads the same variable.
  distDir: process.env.CUSTODIAN_DIST_DIR || ".next",
  reactStrictMode: true,
  typescript: { tsconfigPath: "./tsconfig.json" },
};
export default nextConfig;
