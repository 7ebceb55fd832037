/**
 * The calls a server makes to a peer: hello and enrolment (before any key is known), then
 * signed calls (heartbeat) verified by the peer against the key it recorded.
 */
import { ProtocolError, signedFetch, type Identity } from "@/server/agent/protocol";
import { PeerRefusal, validDescription, type EnrolRequest, type HeartbeatAnswer, type PeerDescription } from "./peer-protocol";

const TIMEOUT_MS = 10_000;

async function unsignedJson(baseUrl: string, method: "GET" | "POST", path: string, json?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: json === undefined ? {} : { "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch((err: unknown) => {
    throw new ProtocolError(`cannot reach the server at ${baseUrl}: ${(err as Error).message}`, 502);
  });
  const body = (await res.json().catch(() => null)) as { error?: string; rules?: string[] } | null;
  if (!res.ok) throw new PeerRefusal(body?.error ?? `${method} ${path} failed: ${res.status}`, res.status, body?.rules ?? []);
  if (body === null) throw new ProtocolError(`${baseUrl} is not a Custodian server (no JSON answer)`, 502);
  return body;
}

/** Who answers at `baseUrl` (unsigned; used to check version and topology before enrolling). */
export async function peerHello(baseUrl: string): Promise<PeerDescription> {
  return validDescription(await unsignedJson(baseUrl, "GET", "/peer-api/v1/hello"), `the server at ${baseUrl}`);
}

/** Enrols this server as the secondary of the server at `baseUrl`; returns the primary's description. */
export async function enrolWithPrimary(baseUrl: string, request: EnrolRequest): Promise<PeerDescription> {
  return validDescription(await unsignedJson(baseUrl, "POST", "/peer-api/v1/enrol", request), `the server at ${baseUrl}`);
}

/** A signed heartbeat to a peer whose id (the audience) and URL are recorded. */
export async function sendHeartbeat(peer: { id: string; url: string }, identity: Identity, now = new Date()): Promise<HeartbeatAnswer> {
  const res = await signedFetch(peer.url, "POST", "/peer-api/v1/heartbeat", { identity, audience: peer.id, json: { time: now.toISOString() }, signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err: unknown) => {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`cannot reach the server at ${peer.url}: ${(err as Error).message}`, 502);
  });
  const answer = (await res.json()) as HeartbeatAnswer;
  if (answer.id !== peer.id) throw new ProtocolError(`the server at ${peer.url} is ${answer.name} (${answer.id}), not the recorded peer`, 409);
  return answer;
}
