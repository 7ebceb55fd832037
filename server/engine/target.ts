/**
 * What the archiver, the restorer and trees need from a pool, as narrow interfaces: a local
 * ChunkStore provides them directly, and a protection agent provides them over the network
 * (server/agent), so that one archiver serves both a local backup and an agent's.
 */
import type { ChunkerParams } from "./chunker";
import type { ManifestHeader } from "./manifest";
import type { Codec } from "./pack";

export interface ChunkReader {
  /** A chunk's bytes, verified against its id. */
  get(id: string): Promise<Uint8Array>;
}

export interface ChunkWriter {
  /** Stores a chunk unless present (compressing it here); durable after the next commit. */
  put(raw: Uint8Array): Promise<{ id: string; added: boolean; storedBytes: number }>;
}

export interface BackupTarget extends ChunkReader, ChunkWriter {
  readonly chunker: ChunkerParams;
  readonly compressionLevel: number;
  /** True when the pool already holds the chunk (it need not be sent or stored again). */
  has(id: string): boolean | Promise<boolean>;
  /** Stores a chunk already hashed and compressed; false when it was there already. */
  putStored(id: string, stored: Uint8Array, rawLength: number, codec: Codec): Promise<boolean>;
  /** The recovery point to compare with: `requested` if given (null: none), else the latest of `label`. */
  parent(label: string, requested: string | null | undefined): Promise<ManifestHeader | null>;
  /** Makes every chunk durable, then records the header; the recovery point exists from then on. */
  commit(header: ManifestHeader): Promise<ManifestHeader>;
}
