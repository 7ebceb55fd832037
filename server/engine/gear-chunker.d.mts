import type { ChunkerParams } from "./chunker";

export declare const DEFAULT_CHUNKER_PARAMS: ChunkerParams;
export declare const GEAR: Uint32Array;
export declare function validateParams(p: ChunkerParams): void;
export declare class Chunker {
  constructor(params?: ChunkerParams);
  /** Consumes `data`, returning the chunks it completed (possibly none). */
  push(data: Uint8Array): Uint8Array[];
  /** Copies the chunk being cut into memory of its own (the last pushed buffer may then be reused). */
  own(): void;
  /** Ends the stream: the last chunk, if any bytes are left. */
  finish(): Uint8Array | null;
}
export declare function chunkLengths(data: Uint8Array, params?: ChunkerParams): number[];
