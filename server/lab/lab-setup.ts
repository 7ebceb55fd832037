/**
 * The lab's protection, configured through each server's API as an admin would (no catalog is
 * written behind a server's back):
 *
 *   lab-workstation's agent paired with lab-primary, its sources in the "Workstation" group;
 *   lab-secondary linked to lab-primary, protecting its catalog and every protected source;
 *   lab-tertiary linked to lab-secondary (a chain), protecting what lab-secondary offers
 *   (its own sources: none, so the link copies lab-secondary's catalog);
 *   then a first catalog copy and replication on both links, the secondary's first.
 *
 * Every step first asks whether it is done already (a lab started again on its folder skips
 * it), and says what it did in one line.
 */
import path from "node:path";
import { DEMO_CREDENTIALS_FILE, readCredentialsFile } from "@/server/domain/demo/ensure-demo-users";
import { generatePassword } from "@/server/domain/auth/passwords";
import { ApiClient, adminSession, jobEnded, pollUntil, type EndedJob } from "./api-client";
import { LAB_CREDENTIALS_FILE, readLabCredentials, writeLabCredentials, type LabCredential } from "./lab-credentials";
import { labWorkstationPolicy } from "./lab-policy";

export const LAB = { primary: "lab-primary", secondary: "lab-secondary", tertiary: "lab-tertiary", workstation: "lab-workstation" } as const;
export const WORKSTATION_GROUP = "Workstation";
/** DPM's shortest interval for a secondary's catalog copy and replication. */
export const LINK_EVERY_MINUTES = 15;

export interface LabSetupOptions {
  dataDir: string;
  urls: { primary: string; secondary: string; tertiary: string; workstation: string };
  /** The agent's pairing token, when it printed one (it does while no server owns it). */
  pairingToken: string | null;
  say: (line: string) => void;
  signal: AbortSignal;
}

export interface LinkRound {
  secondary: string;
  primary: string;
  catalogCopy: EndedJob;
  replication: EndedJob;
}

export interface LabSetup {
  credentialsFile: string;
  rounds: LinkRound[];
}

interface ServerSession {
  name: string;
  url: string;
  api: ApiClient;
  id: string;
}

type ServerRow = { id: string; name: string; isSelf: boolean; isPrimary: boolean };
type OfferedSource = { id: number; name: string; computer: string; recoveryPoints: number; selected: boolean };

async function session(name: string, url: string, api: ApiClient): Promise<ServerSession> {
  const self = (await api.query<ServerRow[]>("servers.list")).find((s) => s.isSelf);
  if (!self) throw new Error(`${name} does not list itself among its servers`);
  return { name, url, api, id: self.id };
}

/** The primary's demo admin (from its initial-passwords.txt), the other servers' lab admins (made here). */
async function signIn(o: LabSetupOptions) {
  const demoFile = path.join(o.dataDir, "primary", DEMO_CREDENTIALS_FILE);
  const demo = readCredentialsFile(demoFile) ?? [];
  const demoAdmin = demo.find((c) => c.role === "admin");
  if (!demoAdmin) throw new Error(`${LAB.primary}'s demo users are not in ${demoFile}; the lab signs in to ${LAB.primary} as its demo admin`);

  const file = path.join(o.dataDir, LAB_CREDENTIALS_FILE);
  const known = readLabCredentials(file);
  const adminOf = (server: string, url: string): LabCredential => ({ ...(known.find((c) => c.server === server && c.role === "admin") ?? { username: "admin", role: "admin", password: generatePassword() }), server, url });
  const secondaryAdmin = adminOf(LAB.secondary, o.urls.secondary);
  const tertiaryAdmin = adminOf(LAB.tertiary, o.urls.tertiary);
  // The file first, then the accounts: a stop in between leaves passwords for accounts the next start makes.
  writeLabCredentials(file, [...demo.map((c) => ({ server: LAB.primary, url: o.urls.primary, username: c.username, role: c.role, password: c.password })), secondaryAdmin, tertiaryAdmin]);

  const primaryApi = new ApiClient(o.urls.primary);
  const login = await primaryApi.call("auth.login", { username: demoAdmin.username, password: demoAdmin.password });
  if (login.error) throw new Error(`signing in to ${LAB.primary} as its demo admin ${demoAdmin.username}: ${login.error.message}`);
  const other = async (c: LabCredential) => {
    try {
      return await adminSession(c.url, { username: c.username, password: c.password, displayName: "Lab admin" });
    } catch (err) {
      throw new Error(`${(err as Error).message} (the lab keeps ${c.server}'s admin password in ${file})`, { cause: err });
    }
  };
  const [primary, secondary, tertiary] = await Promise.all([session(LAB.primary, o.urls.primary, primaryApi), other(secondaryAdmin).then((api) => session(LAB.secondary, o.urls.secondary, api)), other(tertiaryAdmin).then((api) => session(LAB.tertiary, o.urls.tertiary, api))]);
  return { primary, secondary, tertiary, credentialsFile: file };
}

/** The agent paired with the primary; returns its id there. */
async function pairWorkstation(o: LabSetupOptions, primary: ServerSession): Promise<string> {
  type AgentRow = { agentId: string; name: string; builtIn: boolean };
  const paired = (await primary.api.query<AgentRow[]>("agents.list")).find((a) => a.name === LAB.workstation && !a.builtIn);
  if (paired) {
    o.say(`  ${LAB.workstation} paired with ${LAB.primary}: already`);
    return paired.agentId;
  }
  if (!o.pairingToken) {
    throw new Error(`${LAB.workstation} printed no pairing token: another server owns it. Its state is in ${path.join(o.dataDir, "workstation", "agent")}; remove that folder to pair it with ${LAB.primary} again`);
  }
  const r = await primary.api.mutate<{ agentId: string }>("agents.pair", { url: o.urls.workstation, token: o.pairingToken });
  o.say(`  ${LAB.workstation} paired with ${LAB.primary}: done`);
  return r.agentId;
}

/** The agent's sources in the Workstation group (made with the lab's policy when missing). */
async function protectWorkstation(o: LabSetupOptions, primary: ServerSession, agentId: string): Promise<void> {
  type Computer = { agentId: string | null; sources: { id: number; name: string; present: boolean; groupId: number | null }[] };
  const computers = await primary.api.mutate<Computer[]>("protection.refreshSources");
  const sources = computers.find((c) => c.agentId === agentId)?.sources ?? [];
  if (sources.length === 0) throw new Error(`${LAB.primary} found no data sources on ${LAB.workstation}`);
  const unprotected = sources.filter((s) => s.groupId === null && s.present).map((s) => s.id);
  if (unprotected.length === 0) {
    o.say(`  ${LAB.workstation}'s ${sources.length} sources protected on ${LAB.primary}: already`);
    return;
  }
  const group = (await primary.api.query<{ id: number; name: string }[]>("protection.groups")).find((g) => g.name === WORKSTATION_GROUP);
  if (group) await primary.api.mutate("protection.addMembers", { id: group.id, members: unprotected });
  else await primary.api.mutate("protection.createGroup", { name: WORKSTATION_GROUP, policy: labWorkstationPolicy(new Date()), members: unprotected, requestKey: "lab-workstation-group" });
  o.say(`  ${LAB.workstation}'s sources protected on ${LAB.primary} (group ${WORKSTATION_GROUP}, ${unprotected.length} added): done`);
}

/** `secondary` linked to `primary` and protecting everything `primary` offers, every 15 minutes. */
async function protectServer(o: LabSetupOptions, primary: ServerSession, secondary: ServerSession): Promise<void> {
  const linked = (await secondary.api.query<ServerRow[]>("servers.list")).some((s) => s.id === primary.id && s.isPrimary);
  if (linked) o.say(`  ${secondary.name} linked to ${primary.name}: already`);
  else {
    const { token } = await primary.api.mutate<{ token: string }>("servers.createEnrolmentToken");
    await secondary.api.mutate("servers.linkPrimary", { url: primary.url, token });
    o.say(`  ${secondary.name} linked to ${primary.name}: done`);
  }
  type Link = { config: { catalogEveryMinutes: number; replicaEveryMinutes: number; catalogRetentionDays: number; autoSwitch: boolean; graceMinutes: number } | null };
  const link = await secondary.api.query<Link>("servers.link", { primaryId: primary.id, secondaryId: secondary.id });
  const offered = await secondary.api.query<OfferedSource[]>("servers.primarySources", { primaryId: primary.id });
  const what = `${secondary.name} protects ${primary.name}'s catalog and ${offered.length === 0 ? "its sources (it has none of its own)" : offered.length === 1 ? "1 source" : `${offered.length} sources`}`;
  if (link.config && offered.every((s) => s.selected)) {
    o.say(`  ${what}: already`);
    return;
  }
  // Settings an admin changed since are kept; the lab only adds what is not protected yet.
  const settings = link.config ?? { catalogEveryMinutes: LINK_EVERY_MINUTES, replicaEveryMinutes: LINK_EVERY_MINUTES, catalogRetentionDays: 7, autoSwitch: false, graceMinutes: 15 };
  await secondary.api.mutate("servers.configureSecondaryProtection", { primaryId: primary.id, sourceIds: offered.map((s) => s.id), ...settings });
  o.say(`  ${what}, every ${settings.replicaEveryMinutes} minutes: done`);
}

/** Until each source the primary offers has its first recovery point (the initial replicas run at once). */
async function initialReplicas(o: LabSetupOptions, primary: ServerSession, secondary: ServerSession): Promise<void> {
  const waiting = (await secondary.api.query<OfferedSource[]>("servers.primarySources", { primaryId: primary.id })).filter((s) => s.recoveryPoints === 0);
  if (waiting.length === 0) return;
  o.say(`  waiting for the initial replicas on ${primary.name} (${waiting.map((s) => `${s.computer}: ${s.name}`).join(", ")})…`);
  try {
    await pollUntil(
      "the initial replicas",
      async (seen) => {
        const offered = await secondary.api.query<OfferedSource[]>("servers.primarySources", { primaryId: primary.id });
        seen.last = offered.filter((s) => s.recoveryPoints === 0).map((s) => `${s.computer}: ${s.name}`);
        return offered.every((s) => s.recoveryPoints > 0) ? true : undefined;
      },
      180_000,
      1000,
      o.signal,
    );
  } catch (err) {
    if (o.signal.aborted) throw err;
    o.say(`  (${(err as Error).message}: replicating what there is)`);
  }
}

/** A catalog copy and a replication round on the link now, until both end. */
async function replicateNow(o: LabSetupOptions, primary: ServerSession, secondary: ServerSession): Promise<LinkRound> {
  const jobs = await secondary.api.mutate<{ catalogCopyJobId: number; replicationJobId: number }>("servers.replicateNow", { primaryId: primary.id });
  const [catalogCopy, replication] = await Promise.all([jobEnded(secondary.api, jobs.catalogCopyJobId, 300_000, o.signal), jobEnded(secondary.api, jobs.replicationJobId, 300_000, o.signal)]);
  const outcome = (j: EndedJob, done: string) => (j.state === "succeeded" ? done : `${j.state}${j.error ? ` (${j.error})` : ""}`);
  const copied = Number(replication.result?.recoveryPoints ?? 0);
  const bytes = Number(replication.result?.storedBytesCopied ?? 0);
  o.say(`  ${secondary.name} from ${primary.name}: catalog copy ${outcome(catalogCopy, "done")}, replication ${outcome(replication, `done (${copied} recovery point${copied === 1 ? "" : "s"}, ${(bytes / 1e6).toFixed(1)} MB new)`)}`);
  return { secondary: secondary.name, primary: primary.name, catalogCopy, replication };
}

export async function setUpLab(o: LabSetupOptions): Promise<LabSetup> {
  const { primary, secondary, tertiary, credentialsFile } = await signIn(o);
  o.say(`  signed in to ${LAB.primary}, ${LAB.secondary} and ${LAB.tertiary} as admin`);
  const agentId = await pairWorkstation(o, primary);
  await protectWorkstation(o, primary, agentId);
  await protectServer(o, primary, secondary);
  await protectServer(o, secondary, tertiary);
  await initialReplicas(o, primary, secondary);
  const rounds = [await replicateNow(o, primary, secondary)];
  rounds.push(await replicateNow(o, secondary, tertiary));
  return { credentialsFile, rounds };
}
