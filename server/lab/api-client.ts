/**
 * A minimal tRPC-over-HTTP client with a session cookie, as a browser or a script calls the API
 * (superjson's wire shape: `{ json: input }` in, `{ result: { data: { json } } }` out). The lab
 * drives its servers with it, and the integration tests drive real processes with it.
 */
export interface ApiError {
  message: string;
  data: Record<string, unknown>;
}

export class ApiClient {
  cookie = "";
  constructor(readonly baseUrl: string) {}

  /** One procedure call; an API error comes back in `error`, not as a throw. */
  async call(path: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
    const url = `${this.baseUrl}/api/trpc/${path}` + (kind === "query" ? `?input=${encodeURIComponent(JSON.stringify({ json: input }))}` : "");
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(this.cookie && { cookie: this.cookie }) },
      body: kind === "mutation" ? JSON.stringify({ json: input }) : undefined,
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const body = (await res.json()) as { result?: { data: { json: unknown } }; error?: { json: ApiError } };
    return { status: res.status, data: body.result?.data.json, error: body.error?.json };
  }

  /** A query whose error is thrown, naming the procedure and the server. */
  async query<T>(path: string, input?: unknown): Promise<T> {
    return this.must<T>(path, await this.call(path, input, "query"));
  }

  /** A mutation whose error is thrown, naming the procedure and the server. */
  async mutate<T>(path: string, input?: unknown): Promise<T> {
    return this.must<T>(path, await this.call(path, input, "mutation"));
  }

  private must<T>(path: string, r: { data?: unknown; error?: ApiError }): T {
    if (r.error) throw new ApiCallError(`${path} on ${this.baseUrl}: ${r.error.message}`, r.error);
    return r.data as T;
  }
}

export class ApiCallError extends Error {
  override name = "ApiCallError";
  constructor(
    message: string,
    readonly error: ApiError,
  ) {
    super(message);
  }
}

/** Polls `probe` until it returns a value; `seen` says what it last saw, for the timeout's message. An aborted `signal` ends the wait with its reason. */
export async function pollUntil<T>(what: string, probe: (seen: { last?: unknown }) => Promise<T | undefined>, timeoutMs: number, everyMs = 200, signal?: AbortSignal): Promise<T> {
  const until = Date.now() + timeoutMs;
  const seen: { last?: unknown } = {};
  for (;;) {
    signal?.throwIfAborted();
    const v = await probe(seen);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(seen.last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * An admin's session on a server: its first-start set-up creates the admin when the server has
 * no user yet ("already set up" is fine), then the admin signs in.
 */
export async function adminSession(url: string, admin: { username: string; password: string; displayName?: string }): Promise<ApiClient> {
  const api = new ApiClient(url);
  const first = await api.call("auth.setup", { username: admin.username, password: admin.password, displayName: admin.displayName ?? "Admin" });
  if (first.error && !/already/i.test(first.error.message)) throw new Error(`set-up of ${url}: ${first.error.message}`);
  const login = await api.call("auth.login", { username: admin.username, password: admin.password });
  if (login.error) throw new Error(`signing in to ${url} as ${admin.username}: ${login.error.message}`);
  return api;
}

export interface EndedJob {
  id: number;
  type: string;
  state: string;
  error: string | null;
  result: Record<string, unknown> | null;
  log: { level: string; message: string }[];
}

/** Waits until job `id` ends; returns it (with its result and log) whatever its state. */
export async function jobEnded(api: ApiClient, id: number, timeoutMs = 60_000, signal?: AbortSignal): Promise<EndedJob> {
  return pollUntil<EndedJob>(
    `job ${id} to end`,
    async (seen) => {
      const j = (seen.last = (await api.call("monitoring.job", { id }, "query")).data as EndedJob | undefined);
      return j && /succeeded|failed|cancelled/.test(j.state) ? j : undefined;
    },
    timeoutMs,
    200,
    signal,
  );
}
