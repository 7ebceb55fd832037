import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";

/**
 * Backup servers this catalog knows: itself (is_self = 1, exactly one row) and its peers,
 * its primaries and secondaries. The self row carries the identity a rebuild must match.
 * A peer's row holds only its public key (and the key id requests are signed with):
 * nothing secret about a peer is stored.
 */
export const servers = sqliteTable(
  "servers",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    isSelf: integer({ mode: "boolean" }).notNull().default(false),
    url: text().notNull().default(""),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    lastContactAt: integer({ mode: "timestamp_ms" }),
    /** A peer's Ed25519 public key (SPKI DER, base64); empty for the self row. */
    publicKey: text().notNull().default(""),
    /** keyIdOf(publicKey): how a signed request names its sender. */
    keyId: text(),
    /** The peer's release, as it said when the link was made (the whole chain runs one). */
    version: text(),
    peerProtocol: integer(),
  },
  (t) => [uniqueIndex("servers_name_unique").on(t.name), index("servers_key_id").on(t.keyId)],
);

/**
 * Protection links: the secondary protects the primary's catalog and selected replicas.
 * Both ends record the link; the topology rules are checked on both before it is made.
 */
export const serverLinks = sqliteTable(
  "server_links",
  {
    primaryId: text()
      .notNull()
      .references(() => servers.id),
    secondaryId: text()
      .notNull()
      .references(() => servers.id),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    /** The last heartbeat across this link (sent and answered, or received). */
    lastContactAt: integer({ mode: "timestamp_ms" }),
    /**
     * Secondary protection of this link, as the secondary's admin set it (the secondary's row
     * is the one that counts; the primary's copy mirrors what the secondary reported).
     * Null until configured: a link alone protects nothing.
     */
    catalogEveryMinutes: integer(),
    replicaEveryMinutes: integer(),
    catalogRetentionDays: integer().notNull().default(14),
    /** Opt-in automatic switch after the primary has been silent this long (SPEC §4). */
    autoSwitch: integer({ mode: "boolean" }).notNull().default(false),
    graceMinutes: integer().notNull().default(15),
    lastCatalogCopyAt: integer({ mode: "timestamp_ms" }),
    /** The last replication round that ended with every selected replica up to date. */
    inSyncAt: integer({ mode: "timestamp_ms" }),
    lastReplicationAt: integer({ mode: "timestamp_ms" }),
    lastReplicationError: text(),
    /** Stored bytes that crossed this link (replicas and catalog copies), for the lab's and reports' figures. */
    bytesReplicated: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.primaryId, t.secondaryId] })],
);

/**
 * Consistent snapshots of a server's catalog kept as pool manifests (label `catalog:<id>`):
 * on a primary, the snapshots it took of itself; on a secondary, the copies it holds of its
 * primaries'. The primary signs each snapshot (header, file hash, size) with its identity key,
 * so a copy that was altered anywhere is refused before it is restored.
 */
export const catalogSnapshots = sqliteTable(
  "catalog_snapshots",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    /** Whose catalog it is. */
    serverId: text().notNull(),
    manifestId: text().notNull(),
    takenAt: integer({ mode: "timestamp_ms" }).notNull(),
    /** When this server received it (null for a server's own snapshots). */
    copiedAt: integer({ mode: "timestamp_ms" }),
    sizeBytes: integer().notNull(),
    /** SHA-256 of the SQLite file. */
    sha256: text().notNull(),
    /** Ed25519 signature (base64) of the snapshot's statement, by the catalog's server. */
    signature: text().notNull(),
    keyId: text().notNull(),
  },
  (t) => [uniqueIndex("catalog_snapshots_manifest_unique").on(t.manifestId), index("catalog_snapshots_server_idx").on(t.serverId, t.takenAt)],
);

/**
 * One-time enrolment tokens a secondary presents to link to this server (its primary). Only
 * the SHA-256 of the token is kept; a token expires, is spent by its first use, and is burnt
 * after too many wrong tries. Issuing a new token revokes the pending one.
 */
export const peerEnrolmentTokens = sqliteTable("peer_enrolment_tokens", {
  id: integer().primaryKey({ autoIncrement: true }),
  tokenHash: text().notNull(),
  createdBy: text().notNull(),
  createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  expiresAt: integer({ mode: "timestamp_ms" }).notNull(),
  failures: integer().notNull().default(0),
  /** When it stopped being usable: spent, burnt, replaced by a newer token, or revoked (a rebuild token whose link was removed). */
  closedAt: integer({ mode: "timestamp_ms" }),
  closedReason: text({ enum: ["used", "burnt", "replaced", "revoked"] }),
  usedByServerId: text(),
  /**
   * Set on a rebuild token (SPEC §4, rebuild primary): issued by a secondary for the primary it
   * protects, redeemed by the new server that takes that primary's identity with a new key.
   */
  forServerId: text(),
});
