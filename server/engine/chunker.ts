/**
 * Content-defined chunking: FastCDC (Xia et al., USENIX ATC 2016) with a gear rolling hash and
 * normalized chunking. Cut points depend only on the bytes, so an insertion early in a file
 * moves the cuts near it and no others: unchanged regions keep producing the same chunks and
 * deduplicate.
 *
 * The gear table and the cut rule are part of the storage format: changing either changes
 * every chunk id after it. The table is derived from a fixed seed (SHA-256 in counter mode),
 * and chunker.test.ts pins golden cut points so an accidental change fails the build.
 *
 * The implementation is gear-chunker.mjs, plain JavaScript, so that worker threads (which
 * run without the TypeScript loader) cut exactly as the main thread does.
 *
 * The hash is 32 bits (JS numbers, no BigInt on the hot path). With a left-shifting gear hash
 * bit k depends on the last k+1 bytes, so the masks take the top bits: the cut decision looks
 * at a window of up to 32 bytes.
 */
export interface ChunkerParams {
  /** No chunk is shorter than this (except the last of a stream). */
  minSize: number;
  /** The size chunks aim at; a power of two. */
  avgSize: number;
  /** No chunk is longer than this. */
  maxSize: number;
}

export { Chunker, DEFAULT_CHUNKER_PARAMS, GEAR, chunkLengths, validateParams } from "./gear-chunker.mjs";
