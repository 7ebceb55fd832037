/** @type {import('next').NextConfig} */
const nextConfig = {
  // The API, the scheduler and (later) the engine run in the custom server process
  // (server/http/server.ts), not inside Next's bundle; Next only renders the UI.
  // Keep native addons external in case a server component ever imports them.
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2", "pino"],
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "./tsconfig.json" },
};
export default nextConfig;
