/** Failures the engine reports; each names what it is about so a checker can report it. */
export class BlobNotFound extends Error {
  constructor(readonly id: string) {
    super(`chunk ${id} is not in the pool`);
    this.name = "BlobNotFound";
  }
}

/** The stored bytes of a chunk do not hash to its id (bit rot, tampering, a torn write). */
export class BlobCorrupt extends Error {
  constructor(
    readonly id: string,
    readonly pack: string,
    detail: string,
  ) {
    super(`chunk ${id} in pack ${pack} is damaged: ${detail}`);
    this.name = "BlobCorrupt";
  }
}

/** A pool file that is not what the format says it must be. */
export class PoolFormatError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "PoolFormatError";
  }
}

/** A SQLite database the engine was asked to capture that it cannot copy consistently. */
export class SqliteSourceError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`SQLite database ${path}: ${reason}`, options);
    this.name = "SqliteSourceError";
  }
}

/** A retention policy with a field the engine refuses (unknown, not an integer, out of range). */
export class RetentionPolicyError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`retention policy: ${field} ${detail}`);
    this.name = "RetentionPolicyError";
  }
}
