/**
 * The rebuild wizard (SPEC §4 "rebuild primary", DPM-REFERENCE §5.6) in the browser: on a new
 * server with no users yet, an admin rebuilds the lost primary from its secondary with a
 * one-time rebuild token. Pre-checks first (this server is new and has room, the secondary
 * answers with the same release, the token is pending and what it would restore, this server
 * answers at the address given), then the rebuild runs in the background with progress, into
 * DATA/rebuild-staging (the same steps as `custodian rebuild`, rebuild.ts). When it is done the
 * server restarts on the rebuilt catalog (rebuild-swap.ts) and the admin signs in with the
 * rebuilt server's own accounts.
 *
 * Whoever starts a rebuild gets a ticket: only it reads the progress and the final report, so
 * that a stranger reaching the new server learns nothing of the rebuilt one.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { count } from "drizzle-orm";
import { protectionGroups, recoveryPoints, serverLinks, servers, users } from "@/db/schema";
import type { Services } from "@/server/services";
import { ProtocolError } from "@/server/agent/protocol";
import { checkRebuildToken as askSecondary, peerHello } from "@/server/peer/peer-client";
import { PEER_PROTOCOL_VERSION, PeerRefusal, RELEASE_VERSION } from "@/server/peer/peer-protocol";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import { DomainError } from "../errors";
import { diskOf } from "../reports/pool-usage";
import { isHttpAddress, rebuildPrimary, type RebuildProgress, type RebuildReport, type RebuildStep } from "./rebuild";
import { STAGING_DIR, scheduleRebuildSwap } from "./rebuild-swap";

/** Written into the rebuilt data folder: the wizard shows it after the restart. */
export const REPORT_FILE = "rebuild-report.json";

/** Room asked for beyond what the secondary says the rebuild copies (pack overhead, the catalog's WAL, the index). */
const SPACE_MARGIN = 1.2;

export interface RebuildInput {
  secondaryUrl: string;
  token: string;
  /** Where this server answers for the agents and the secondary (the browser's address by default). */
  url: string;
}

export interface FreshServerCheck {
  /** What makes this server unfit to take a rebuilt catalog; empty when it is new. */
  problems: string[];
  freeBytes: number | null;
}

export interface RebuildCheck {
  secondary: { id: string; name: string; release: string };
  primary: { id: string; name: string };
  tokenExpiresAt: string;
  catalog: { takenAt: string; sizeBytes: number } | null;
  sources: number;
  recoveryPoints: number;
  storedBytes: number;
  freeBytes: number | null;
  /** Each pre-check, in the order the wizard lists them. */
  checks: { name: string; ok: boolean; detail: string }[];
}

export type WizardStatus =
  | { state: "running" | "restarting"; startedAt: string; step: RebuildStep; fraction: number; detail: string; done?: number; total?: number; bytesCopied: number; log: string[] }
  | { state: "failed"; startedAt: string; step: RebuildStep; error: string; log: string[] }
  | { state: "done"; finishedAt: string; report: RebuildReport; aside: string | null };

interface Run {
  ticketHash: Buffer;
  startedAt: Date;
  progress: RebuildProgress;
  bytesCopied: number;
  log: string[];
  error: string | null;
  restarting: boolean;
}

/** Sizes and times as the pre-checks' sentences show them (the browser shows these lines as they are). */
const bytesText = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);
const timeText = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

const hashTicket = (ticket: string) => createHash("sha256").update(ticket).digest();

/** How far along a rebuild is, 0–1: the replicas step dominates (it copies the data). */
function fractionOf(p: RebuildProgress): number {
  switch (p.step) {
    case "secondary":
      return 0.02;
    case "token":
      return 0.05;
    case "catalog":
      return 0.1;
    case "replicas":
      return 0.15 + 0.8 * (p.total ? (p.done ?? 0) / p.total : 0);
    case "done":
      return 0.97;
  }
}

function checkedUrl(value: string, field: "secondaryUrl" | "url"): string {
  const what = field === "url" ? "this server's address" : "the secondary's address";
  if (!isHttpAddress(value)) {
    throw new DomainError("INVALID", `${what} must be an http(s) address, e.g. http://backup2:3100`, value, { [field]: ["an http(s) address, e.g. http://backup2:3100"] });
  }
  return value.replace(/\/+$/, "");
}

/** A peer failure, in the wizard's words. */
function peerError(err: unknown, field: "secondaryUrl" | "token"): never {
  if (err instanceof PeerRefusal) {
    const fieldErrors = err.status === 401 ? { token: [err.message] } : undefined;
    throw new DomainError(err.status === 401 ? "INVALID" : "CONFLICT", err.message, undefined, fieldErrors);
  }
  if (err instanceof ProtocolError) throw new DomainError("PRECONDITION", err.message, undefined, { [field]: [err.message] });
  throw err;
}

export class RebuildWizard {
  private run: Run | null = null;
  /** A start is checking with the secondary: a second start waits its turn (it is then refused as running). */
  private starting = false;

  constructor(
    private readonly o: {
      dataDir: string;
      /** Opens services on a rebuilt catalog (the composition root's createServices). */
      openServices: (dataDir: string, serverName: string) => Services;
      /** Asks the process to restart on its data folder: the swap happens with nothing open. */
      requestRestart: () => void;
      /** The folder the replaced files went to, when the process restarted after a swap. */
      aside?: string | null;
    },
  ) {}

  /** A rebuild is under way: nothing may set this server up meanwhile. */
  get busy(): boolean {
    return this.starting || (this.run !== null && this.run.error === null);
  }

  /** Whether this server can take a rebuilt catalog: it must be new (SPEC §4: "a new, empty server"). */
  freshServer(services: Services): FreshServerCheck {
    const n = (table: typeof users | typeof protectionGroups | typeof recoveryPoints | typeof serverLinks) => services.db.select({ n: count() }).from(table).get()?.n ?? 0;
    // A server in use tells a stranger no more than that.
    if (n(users) > 0) return { problems: ["this server is set up already: a rebuild starts on a new server that has no users yet"], freeBytes: null };
    const problems: string[] = [];
    if (n(protectionGroups) > 0) problems.push("this server protects data sources");
    if (n(recoveryPoints) > 0) problems.push("this server holds recovery points");
    if (n(serverLinks) > 0 || (services.db.select({ n: count() }).from(servers).get()?.n ?? 0) > 1) problems.push("this server is linked with other servers");
    return { problems, freeBytes: diskOf(this.o.dataDir).diskFreeBytes };
  }

  private assertFresh(services: Services): FreshServerCheck {
    const fresh = this.freshServer(services);
    if (fresh.problems.length) throw new DomainError("PRECONDITION", `a rebuild needs a new server: ${fresh.problems.join("; ")}`);
    if (this.busy) throw new DomainError("CONFLICT", "a rebuild is already running on this server");
    return fresh;
  }

  /** The pre-checks that need the secondary: its release, the token (not redeemed), the space, this server's address. */
  async check(services: Services, input: RebuildInput, o: { starting?: boolean } = {}): Promise<RebuildCheck> {
    const fresh = o.starting ? this.freshServer(services) : this.assertFresh(services);
    const secondaryUrl = checkedUrl(input.secondaryUrl, "secondaryUrl");
    const url = checkedUrl(input.url, "url");
    const hello = await peerHello(secondaryUrl).catch((err: unknown) => peerError(err, "secondaryUrl"));
    if (hello.protocol !== PEER_PROTOCOL_VERSION || hello.version !== RELEASE_VERSION) {
      throw new DomainError("CONFLICT", `the secondary ${hello.name} runs Custodian ${hello.version} (peer protocol ${hello.protocol}), this server ${RELEASE_VERSION} (peer protocol ${PEER_PROTOCOL_VERSION}): run the same release on both`, undefined, {
        secondaryUrl: [`${hello.name} runs another release (${hello.version}); this server runs ${RELEASE_VERSION}`],
      });
    }
    const answer = await askSecondary(secondaryUrl, { protocol: PEER_PROTOCOL_VERSION, token: input.token.trim() }).catch((err: unknown) => peerError(err, "token"));
    const self = await peerHello(url).catch(() => null);
    const selfId = services.db.select({ id: servers.id }).from(servers).get()?.id;
    const need = Math.ceil(answer.storedBytes * SPACE_MARGIN);
    const checks = [
      { name: "This server is new", ok: true, detail: "no users, no protection, no recovery points, no links" },
      { name: "Same release", ok: true, detail: `${hello.name} runs Custodian ${hello.version}, as this server does` },
      { name: "Rebuild token", ok: true, detail: `pending for ${answer.primary.name} until ${timeText(answer.tokenExpiresAt)}` },
      { name: "Catalog copy", ok: answer.catalog !== null, detail: answer.catalog ? `${bytesText(answer.catalog.sizeBytes)}, taken ${timeText(answer.catalog.takenAt)}` : `${hello.name} holds no copy of ${answer.primary.name}'s catalog: run a catalog copy there first` },
      {
        name: "Free space",
        ok: fresh.freeBytes === null || fresh.freeBytes >= need,
        detail: fresh.freeBytes === null ? "unknown on this file system" : `${bytesText(fresh.freeBytes)} free in the data folder; the rebuild copies about ${bytesText(answer.storedBytes)}`,
      },
      {
        name: "This server's address",
        ok: self?.id === selfId,
        detail: self?.id === selfId ? `${url} reaches this server` : `${url} does not reach this server: agents and ${hello.name} would not find it there`,
      },
    ];
    return {
      secondary: { id: hello.id, name: hello.name, release: hello.version },
      primary: answer.primary,
      tokenExpiresAt: answer.tokenExpiresAt,
      catalog: answer.catalog,
      sources: answer.sources,
      recoveryPoints: answer.recoveryPoints,
      storedBytes: answer.storedBytes,
      freeBytes: fresh.freeBytes,
      checks,
    };
  }

  /**
   * Starts the rebuild in the background after the pre-checks pass again; returns the ticket
   * that reads its progress. The token is redeemed by the rebuild's first steps.
   */
  async start(services: Services, input: RebuildInput): Promise<{ ticket: string }> {
    this.assertFresh(services);
    this.starting = true;
    let check: RebuildCheck;
    try {
      check = await this.check(services, input, { starting: true });
      const failed = check.checks.filter((c) => !c.ok);
      if (failed.length) throw new DomainError("PRECONDITION", `the pre-checks did not pass: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
      // A staging folder left by a failed attempt holds nothing of value: its token is spent.
      fs.rmSync(path.join(this.o.dataDir, STAGING_DIR), { recursive: true, force: true });
    } finally {
      this.starting = false;
    }
    const ticket = randomBytes(24).toString("base64url");
    const run: Run = { ticketHash: hashTicket(ticket), startedAt: services.clock.now(), progress: { step: "secondary" }, bytesCopied: 0, log: [], error: null, restarting: false };
    this.run = run;
    const staging = path.join(this.o.dataDir, STAGING_DIR);
    const log = services.log.child({ component: "rebuild-wizard" });
    log.warn({ secondary: check.secondary.name, primary: check.primary.name }, "rebuild of a lost primary started from the browser");
    void rebuildPrimary({
      dataDir: staging,
      secondaryUrl: checkedUrl(input.secondaryUrl, "secondaryUrl"),
      token: input.token,
      url: checkedUrl(input.url, "url"),
      openServices: this.o.openServices,
      progress: (p) => {
        run.progress = p;
        if (p.bytesCopied !== undefined) run.bytesCopied = p.bytesCopied;
        if (p.detail) run.log = [...run.log.slice(-199), `${new Date().toISOString()}  ${p.detail}`];
      },
    }).then(
      (report) => {
        writeFileAtomic(path.join(staging, REPORT_FILE), JSON.stringify({ ticketHash: run.ticketHash.toString("hex"), finishedAt: new Date().toISOString(), report }) + "\n", 0o600);
        scheduleRebuildSwap(this.o.dataDir, new Date());
        run.restarting = true;
        log.warn({ primary: report.primary.name, restored: report.recoveryPointsRestored, lost: report.recoveryPointsLost }, "rebuild done: restarting on the rebuilt catalog");
        this.o.requestRestart();
      },
      (err: unknown) => {
        run.error = (err as Error).message;
        run.log = [...run.log, `${new Date().toISOString()}  failed: ${run.error}`];
        log.error({ err }, "rebuild failed");
      },
    );
    return { ticket };
  }

  /** The progress of the rebuild `ticket` started, or its report once the server runs on the rebuilt catalog. */
  status(ticket: string): WizardStatus {
    const hash = hashTicket(ticket);
    const run = this.run;
    if (run && timingSafeEqual(run.ticketHash, hash)) {
      const base = { startedAt: run.startedAt.toISOString(), step: run.progress.step, log: run.log.slice(-20) };
      if (run.error !== null) return { state: "failed", ...base, error: run.error };
      return {
        state: run.restarting ? "restarting" : "running",
        ...base,
        fraction: run.restarting ? 0.99 : fractionOf(run.progress),
        detail: run.progress.detail ?? "",
        done: run.progress.done,
        total: run.progress.total,
        bytesCopied: run.bytesCopied,
      };
    }
    const saved = this.savedReport();
    if (saved && timingSafeEqual(Buffer.from(saved.ticketHash, "hex"), hash)) return { state: "done", finishedAt: saved.finishedAt, report: saved.report, aside: this.o.aside ? path.basename(this.o.aside) : null };
    throw new DomainError("NOT_FOUND", "no rebuild with this ticket on this server");
  }

  private savedReport(): { ticketHash: string; finishedAt: string; report: RebuildReport } | null {
    try {
      const saved = JSON.parse(fs.readFileSync(path.join(this.o.dataDir, REPORT_FILE), "utf8")) as { ticketHash?: unknown; finishedAt?: unknown; report?: unknown };
      if (typeof saved.ticketHash !== "string" || !/^[0-9a-f]{64}$/.test(saved.ticketHash) || typeof saved.finishedAt !== "string" || typeof saved.report !== "object") return null;
      return saved as { ticketHash: string; finishedAt: string; report: RebuildReport };
    } catch {
      return null;
    }
  }
}
