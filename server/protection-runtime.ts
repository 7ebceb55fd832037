import fs from "node:fs";
import path from "node:path";
import { ChunkStore } from "@/server/engine/chunk-store";
import { loadOrCreateIdentity, type Identity } from "@/server/agent/protocol";
import type { AgentState } from "@/server/agent/agent";

/** The catalog's file in the data directory. */
export const CATALOG_FILE = "catalog.db";

/**
 * The data path's resources of one server process, opened on first use: the storage pool
 * (DATA/pool, created when missing) and the server's Ed25519 identity for agents and peers
 * (DATA/secrets/server-key.pem, 0600).
 */
export class ProtectionRuntime {
  private store: ChunkStore | null = null;
  private id: Identity | null = null;
  /** This server's URL as agents reach it; set once the HTTP listener is up. */
  publicUrl = "";
  /** The built-in agent's state (its data sources), once `serve` started it. */
  localAgent: AgentState | null = null;

  constructor(readonly dataDir: string) {}

  /** The catalog's SQLite file (snapshots of it are taken online, SPEC §4–§5). */
  get catalogFile(): string {
    return path.join(this.dataDir, CATALOG_FILE);
  }

  pool(): ChunkStore {
    if (!this.store) {
      const dir = path.join(this.dataDir, "pool");
      this.store = fs.existsSync(path.join(dir, "config.json")) ? ChunkStore.open(dir) : ChunkStore.init(dir);
    }
    return this.store;
  }

  identity(): Identity {
    if (!this.id) {
      fs.mkdirSync(path.join(this.dataDir, "secrets"), { recursive: true, mode: 0o700 });
      this.id = loadOrCreateIdentity(path.join(this.dataDir, "secrets", "server-key.pem"));
    }
    return this.id;
  }

  async close(): Promise<void> {
    await this.store?.flush();
    await this.store?.close();
  }
}
