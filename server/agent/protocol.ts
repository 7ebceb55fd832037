/**
 * The wire protocol between backup servers and protection agents.
 *
 * Identity: each side has an Ed25519 key pair; pairing (a one-time token the agent prints)
 * exchanges public keys, so neither side ever stores a secret of the other. Every request
 * after pairing is signed:
 *
 *   x-custodian-key        key id of the caller (SHA-256 of its public key, 32 hex)
 *   x-custodian-time       milliseconds since the epoch; accepted within ±5 minutes
 *   x-custodian-nonce      128 random bits, never accepted twice within the time window
 *   x-custodian-body       SHA-256 of the body (hex)
 *   x-custodian-signature  Ed25519 over "custodian/1", method, path, time, nonce, body hash
 *                          and the RECIPIENT's id, one per line (so a request signed for
 *                          one agent cannot be replayed to another)
 *
 * Chunks travel in frames: 32-byte id, 1-byte codec (0 raw, 1 zstd), uint32 raw length,
 * uint32 stored length, the stored bytes. The receiver verifies every chunk against its id.
 */
import fs from "node:fs";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import type { Codec } from "@/server/engine/pack";

export const PROTOCOL_VERSION = 1;
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Largest request body accepted (a chunk upload batch). */
export const MAX_BODY_BYTES = 24 * 1024 * 1024;

/** A request was refused: missing, malformed, forged, replayed or from an unknown key. */
export class AuthError extends Error {
  constructor(readonly reason: string) {
    super(`request refused: ${reason}`);
    this.name = "AuthError";
  }
}

/** A peer broke the protocol (bad frames, bad JSON, a chunk that does not match its id…). */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

export interface Identity {
  privateKey: KeyObject;
  /** SPKI DER, base64: what the other side stores. */
  publicKey: string;
  keyId: string;
}

export const keyIdOf = (publicKeyBase64: string) => createHash("sha256").update(Buffer.from(publicKeyBase64, "base64")).digest("hex").slice(0, 32);

function identityFrom(privateKey: KeyObject): Identity {
  const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** Loads the key pair in `file`, creating it (mode 0600) on first use. */
export function loadOrCreateIdentity(file: string): Identity {
  if (fs.existsSync(file)) return identityFrom(createPrivateKey(fs.readFileSync(file)));
  const { privateKey } = generateKeyPairSync("ed25519");
  writeFileAtomic(file, privateKey.export({ type: "pkcs8", format: "pem" }) as string, 0o600);
  return identityFrom(privateKey);
}

export function parsePublicKey(publicKeyBase64: string): KeyObject {
  try {
    const k = createPublicKey({ key: Buffer.from(publicKeyBase64, "base64"), format: "der", type: "spki" });
    if (k.asymmetricKeyType !== "ed25519") throw new Error("not ed25519");
    return k;
  } catch {
    throw new ProtocolError("not an Ed25519 public key");
  }
}

export const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

function signedText(method: string, path: string, time: string, nonce: string, bodyHash: string, audience: string): Buffer {
  return Buffer.from(["custodian/1", method.toUpperCase(), path, time, nonce, bodyHash, audience].join("\n"));
}

/** Headers that authenticate one request to `audience` (the recipient's id). */
export function signRequest(id: Identity, method: string, path: string, body: Uint8Array, audience: string, now = Date.now()): Record<string, string> {
  const time = String(now);
  const nonce = randomBytes(16).toString("hex");
  const bodyHash = sha256(body);
  const signature = sign(null, signedText(method, path, time, nonce, bodyHash, audience), id.privateKey).toString("base64");
  return {
    "x-custodian-key": id.keyId,
    "x-custodian-time": time,
    "x-custodian-nonce": nonce,
    "x-custodian-body": bodyHash,
    "x-custodian-signature": signature,
  };
}

/** Remembers nonces for the acceptance window, so a captured request cannot be replayed. */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  /** True the first time a nonce is offered within the window. */
  accept(nonce: string, now: number): boolean {
    if (this.seen.size > 10_000) for (const [n, t] of this.seen) if (now - t > 2 * MAX_CLOCK_SKEW_MS) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now);
    return true;
  }
}

type Headers = Record<string, string | string[] | undefined>;
const one = (h: Headers, k: string) => {
  const v = h[k];
  return typeof v === "string" ? v : undefined;
};

/**
 * Checks a request's signature; returns the caller's key id. `lookup` gives the public key of
 * a known key id (or null). Throws AuthError with the reason, which the receiver logs.
 */
export function verifyRequest(
  headers: Headers,
  method: string,
  path: string,
  body: Uint8Array,
  audience: string,
  lookup: (keyId: string) => string | null,
  nonces: NonceCache,
  now = Date.now(),
): string {
  const keyId = one(headers, "x-custodian-key");
  const time = one(headers, "x-custodian-time");
  const nonce = one(headers, "x-custodian-nonce");
  const bodyHash = one(headers, "x-custodian-body");
  const signature = one(headers, "x-custodian-signature");
  if (!keyId || !time || !nonce || !bodyHash || !signature) throw new AuthError("no signature");
  if (!/^[0-9a-f]{32}$/.test(keyId) || !/^\d{1,16}$/.test(time) || !/^[0-9a-f]{32}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(bodyHash)) throw new AuthError("malformed signature headers");
  const publicKey = lookup(keyId);
  if (!publicKey) throw new AuthError("unknown key (not paired with this peer)");
  if (Math.abs(now - Number(time)) > MAX_CLOCK_SKEW_MS) throw new AuthError("request time outside the accepted window (clock skew or replay)");
  if (sha256(body) !== bodyHash) throw new AuthError("body does not match its signed hash");
  let ok: boolean;
  try {
    ok = verify(null, signedText(method, path, time, nonce, bodyHash, audience), parsePublicKey(publicKey), Buffer.from(signature, "base64"));
  } catch {
    ok = false;
  }
  if (!ok) throw new AuthError("bad signature");
  // Only a valid request uses up its nonce: a forger cannot burn a genuine one.
  if (!nonces.accept(nonce, now)) throw new AuthError("replayed request (nonce already used)");
  return keyId;
}

function responseText(requestNonce: string, status: number, bodyHash: string): Buffer {
  return Buffer.from(["custodian-answer/1", requestNonce, String(status), bodyHash].join("\n"));
}

/**
 * Headers that authenticate an answer: signed by the answering server over the request's nonce
 * (so an answer cannot be replayed to another request), the status and the body. Without them a
 * party on the network path could rewrite what a peer says (a recovery point's header, the list
 * of recovery points, a catalog snapshot's statement) although it cannot forge a request.
 */
export function signAnswer(id: Identity, requestNonce: string, status: number, body: Uint8Array): Record<string, string> {
  return {
    "x-custodian-answer-key": id.keyId,
    "x-custodian-answer-signature": sign(null, responseText(requestNonce, status, sha256(body)), id.privateKey).toString("base64"),
  };
}

/** Checks an answer signed by `publicKey` (signAnswer); throws ProtocolError naming what is wrong. */
export function verifyAnswer(headers: globalThis.Headers, requestNonce: string, status: number, body: Uint8Array, publicKey: string, who: string): void {
  const signature = headers.get("x-custodian-answer-signature");
  if (!signature) throw new ProtocolError(`${who}'s answer is not signed: refused (a peer of this release signs every answer)`, 502);
  let ok: boolean;
  try {
    ok = verify(null, responseText(requestNonce, status, sha256(body)), parsePublicKey(publicKey), Buffer.from(signature, "base64"));
  } catch {
    ok = false;
  }
  if (!ok) throw new ProtocolError(`${who}'s answer does not carry its signature (altered on the way, or another server answered): refused`, 502);
}

export interface ChunkFrame {
  id: string;
  codec: Codec;
  rawLength: number;
  stored: Uint8Array;
}

const FRAME_HEAD = 32 + 1 + 4 + 4;

export function encodeFrames(frames: ChunkFrame[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const head = Buffer.alloc(FRAME_HEAD);
    Buffer.from(f.id, "hex").copy(head, 0);
    head[32] = f.codec === "zstd" ? 1 : 0;
    head.writeUInt32BE(f.rawLength, 33);
    head.writeUInt32BE(f.stored.length, 37);
    parts.push(head, Buffer.from(f.stored.buffer, f.stored.byteOffset, f.stored.byteLength));
  }
  return Buffer.concat(parts);
}

export function decodeFrames(body: Buffer): ChunkFrame[] {
  const out: ChunkFrame[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < FRAME_HEAD) throw new ProtocolError("truncated chunk frame");
    const codecByte = body[at + 32];
    if (codecByte !== 0 && codecByte !== 1) throw new ProtocolError("unknown chunk codec");
    const rawLength = body.readUInt32BE(at + 33);
    const length = body.readUInt32BE(at + 37);
    if (body.length - at - FRAME_HEAD < length) throw new ProtocolError("truncated chunk frame");
    out.push({ id: body.subarray(at, at + 32).toString("hex"), codec: codecByte === 1 ? "zstd" : "raw", rawLength, stored: body.subarray(at + FRAME_HEAD, at + FRAME_HEAD + length) });
    at += FRAME_HEAD + length;
  }
  return out;
}

/** Reads a request body up to `limit` bytes; larger bodies are refused with 413. */
export async function readBody(req: AsyncIterable<Buffer>, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const part of req) {
    n += part.length;
    if (n > limit) throw new ProtocolError(`request body larger than ${limit} bytes`, 413);
    parts.push(part);
  }
  return Buffer.concat(parts, n);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ProtocolError("body is not valid JSON");
  }
}

/** A signed HTTP request to a peer; throws ProtocolError with the peer's message on failure. */
export async function signedFetch(
  baseUrl: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  o: {
    identity: Identity;
    audience: string;
    json?: unknown;
    body?: Uint8Array;
    signal?: AbortSignal;
    /** The answering server's public key: its answer must be signed by it (verifyAnswer); the body is read whole to check it. */
    answerKey?: { publicKey: string; who: string };
  },
): Promise<Response> {
  const body = o.json !== undefined ? Buffer.from(JSON.stringify(o.json)) : (o.body ?? Buffer.alloc(0));
  const signed = signRequest(o.identity, method, path, body, o.audience);
  const headers: Record<string, string> = {
    ...signed,
    "content-type": o.json !== undefined ? "application/json" : "application/octet-stream",
  };
  const res = await fetch(new URL(path, baseUrl), { method, headers, body: method === "GET" ? undefined : (body as Uint8Array<ArrayBuffer>), signal: o.signal });
  if (res.ok && o.answerKey) {
    const answer = Buffer.from(await res.arrayBuffer());
    verifyAnswer(res.headers, signed["x-custodian-nonce"]!, res.status, answer, o.answerKey.publicKey, o.answerKey.who);
    return new Response(answer, { status: res.status, headers: res.headers });
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const j = (await res.json()) as { error?: string };
      if (j.error) message = `${message}: ${j.error}`;
    } catch {
      // not JSON: keep the status line
    }
    throw new ProtocolError(`${method} ${path} failed: ${message}`, res.status);
  }
  return res;
}

/** Reads a newline-delimited JSON response line by line. */
export async function* ndjsonLines(res: Response): AsyncGenerator<unknown> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let carry = "";
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    carry += decoder.decode(part, { stream: true });
    let nl: number;
    while ((nl = carry.indexOf("\n")) >= 0) {
      const line = carry.slice(0, nl);
      carry = carry.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line);
    }
  }
  if (carry.trim()) yield JSON.parse(carry);
}

/**
 * Groups single-key requests made in the same turn of the event loop into one batch request
 * (which chunks a server lacks; chunk downloads), so a backup of many small files does not
 * cost one round trip per chunk.
 */
export class MicroBatcher<V> {
  private keys: string[] = [];
  private waiters = new Map<string, { resolve: (v: V) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(
    private readonly fetchMany: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxBatch = 512,
  ) {}

  get(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let list = this.waiters.get(key);
      if (!list) {
        this.waiters.set(key, (list = []));
        this.keys.push(key);
      }
      list.push({ resolve, reject });
      if (this.keys.length >= this.maxBatch) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    if (this.keys.length === 0) return;
    const keys = this.keys;
    const waiters = this.waiters;
    this.keys = [];
    this.waiters = new Map();
    this.fetchMany(keys).then(
      (values) => {
        for (const k of keys) {
          const v = values.get(k);
          for (const w of waiters.get(k) ?? []) {
            if (v === undefined) w.reject(new ProtocolError(`peer did not answer for ${k}`));
            else w.resolve(v);
          }
        }
      },
      (err: unknown) => {
        for (const k of keys) for (const w of waiters.get(k) ?? []) w.reject(err);
      },
    );
  }
}
