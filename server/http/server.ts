import http from "node:http";
import type { AddressInfo } from "node:net";
import { getIronSession } from "iron-session";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "@/server/api/root";
import type { Context, SessionCookie } from "@/server/api/trpc";
import type { Services } from "@/server/services";
import { resolveSession, SESSION_MAX_MS } from "@/server/domain/auth/sessions";

export const SESSION_COOKIE = "custodian_session";

export interface HttpServerOptions {
  services: Services;
  host: string;
  port: number;
  sessionSecret: string;
  secureCookies: boolean;
  /** The protection agents' endpoints (/agent-api/v1/*). */
  agentApi?: { handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> };
  /** The other backup servers' endpoints (/peer-api/v1/*). */
  peerApi?: { handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> };
  /** Renders everything that is not API: the Next.js request handler. */
  renderUi: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
};

/**
 * Defence in depth against cross-site requests (SameSite=Lax already keeps the cookie off
 * them): a state-changing API call whose Origin names another host is refused.
 */
export function isCrossSiteWrite(req: http.IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const origin = req.headers.origin;
  if (!origin) return false; // non-browser clients (scripts, tests) send none
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function clientAddress(req: http.IncomingMessage): string {
  // Behind no proxy by default: the socket's peer is the client.
  return req.socket.remoteAddress ?? "";
}

/**
 * One HTTP listener per server: /api/trpc for the UI's API, /healthz for probes, /agent-api
 * for protection agents, /peer-api for the other backup servers, and the Next.js UI for
 * everything else.
 */
export async function startHttpServer(o: HttpServerOptions): Promise<{ server: http.Server; url: string; close(): Promise<void> }> {
  const sessionOptions = {
    password: o.sessionSecret,
    cookieName: SESSION_COOKIE,
    ttl: Math.floor(SESSION_MAX_MS / 1000),
    cookieOptions: { httpOnly: true, sameSite: "lax" as const, secure: o.secureCookies, path: "/" },
  };

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    async createContext({ req, res }): Promise<Context> {
      const iron = await getIronSession<{ token?: string }>(req, res, sessionOptions);
      const token = iron.token ?? null;
      const user = token ? resolveSession(o.services.db, token, o.services.clock.now()) : null;
      const session: SessionCookie = {
        token: user ? token : null,
        async set(newToken) {
          iron.token = newToken;
          await iron.save();
        },
        clear() {
          iron.destroy();
        },
      };
      return {
        services: o.services,
        user,
        clientAddress: clientAddress(req),
        userAgent: String(req.headers["user-agent"] ?? ""),
        session,
      };
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") o.services.log.error({ err: error.cause ?? error, path }, "API error");
    },
  });

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = req.url ?? "/";
    if (url.startsWith("/api/trpc/")) {
      res.setHeader("Cache-Control", "no-store");
      if (isCrossSiteWrite(req)) {
        o.services.log.warn({ origin: req.headers.origin, url, address: clientAddress(req) }, "cross-site API write refused");
        res.writeHead(403, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: "Cross-site request refused." } }));
        return;
      }
      trpc(req, res);
      return;
    }
    if (url.startsWith("/agent-api/") && o.agentApi) {
      // Agents sign every request; no cookie or session is involved.
      void o.agentApi.handle(req, res);
      return;
    }
    if (url.startsWith("/peer-api/") && o.peerApi) {
      // Peers enrol with a one-time token, then sign every request.
      void o.peerApi.handle(req, res);
      return;
    }
    if (url === "/healthz") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ status: "ok", server: o.services.serverName }));
      return;
    }
    o.renderUi(req, res).catch((err: unknown) => {
      o.services.log.error({ err, url }, "UI render failed");
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("Internal error. The server log has the details.");
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 3_000).unref();
      }),
  };
}
