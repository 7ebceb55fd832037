import { afterEach } from "vitest";
/**
 * Test helpers: a backup server's catalog in memory with its peer API on a real loopback
 * listener, so peering and heartbeats run through the real protocol without whole processes.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTestServices, signedInAs } from "@/server/testing/test-services";
import { PeerApi } from "@/server/peer/peer-api";
import { ensureSelfServer } from "./ensure-self-server";
import { peerDirectory } from "./peering";

export interface TestPeer {
  name: string;
  id: string;
  url: string;
  services: ReturnType<typeof createTestServices>["services"];
  clock: ReturnType<typeof createTestServices>["clock"];
  warnings: { obj: object; msg: string }[];
  admin: Awaited<ReturnType<typeof signedInAs>>["caller"];
  manager: Awaited<ReturnType<typeof signedInAs>>["caller"];
  /** Stops answering (the listener closes); `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startTestPeer(name: string, o: { onDisk?: boolean } = {}): Promise<TestPeer> {
  const { services, clock } = createTestServices(o);
  services.serverName = name;
  const self = ensureSelfServer(services.db, { name, now: clock.now() });
  const warnings: { obj: object; msg: string }[] = [];
  const api = new PeerApi({ directory: peerDirectory(services), log: { info: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }) }, identity: services.protection.identity() });
  let server: http.Server | null = null;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => void api.handle(req, res));
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = null;
    });
  await start();
  const url = `http://127.0.0.1:${port}`;
  services.protection.publicUrl = url;
  const admin = (await signedInAs(services, "admin")).caller;
  const manager = (await signedInAs(services, "manager")).caller;
  return {
    name,
    id: self.id,
    url,
    services,
    clock,
    warnings,
    admin,
    manager,
    stop,
    start,
    async dispose() {
      await stop();
      await services.jobs.stop();
      services.db.$client.close();
      fs.rmSync(services.protection.dataDir, { recursive: true, force: true });
    },
  };
}

/** Peers started by a test file, disposed of after each test: `const peer = testPeers();` then `await peer("a")`. */
export function testPeers(): (name: string, o?: { onDisk?: boolean }) => Promise<TestPeer> {
  const peers: TestPeer[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.dispose()));
  });
  return async (name, o) => {
    const p = await startTestPeer(name, o);
    peers.push(p);
    return p;
  };
}
