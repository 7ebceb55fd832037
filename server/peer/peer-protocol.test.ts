import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "@/server/agent/protocol";
import { PEER_PROTOCOL_VERSION, RELEASE_VERSION, protocolMismatch, validDescription, validTopologyView } from "./peer-protocol";

describe("peer protocol", () => {
  it("announces the release package.json names (the same-version rule compares it)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string };
    expect(RELEASE_VERSION).toBe(pkg.version);
  });

  it("says which protocol each side speaks", () => {
    expect(protocolMismatch(PEER_PROTOCOL_VERSION, 7)).toMatch(new RegExp(`^this server speaks peer protocol ${PEER_PROTOCOL_VERSION}, the other 7;`));
    expect(protocolMismatch(1, undefined)).toMatch(/the other null/);
  });

  it("validates what a peer says about itself", () => {
    const good = { id: "0b8f8a57-6f3c-4c7e-9a55-2b1f0d1e9c11", name: "alpha", url: "http://127.0.0.1:3000", publicKey: "MCowBQYDK2VwAyEA", version: "0.1.0", protocol: 1 };
    expect(validDescription(good, "peer")).toEqual(good);
    for (const bad of [{ ...good, id: "../x" }, { ...good, name: "" }, { ...good, url: "file:///etc/passwd" }, { ...good, publicKey: 5 }, { ...good, protocol: "1" }, null]) {
      expect(() => validDescription(bad, "peer")).toThrow(ProtocolError);
    }
  });

  it("keeps only well-formed servers and links of a peer's topology view", () => {
    expect(validTopologyView({ servers: [{ id: "a", name: "A", version: 3 }, { id: 5 }], links: [{ primary: "a", secondary: "b" }, { primary: "a" }, "x"] })).toEqual({
      servers: [{ id: "a", name: "A" }],
      links: [{ primary: "a", secondary: "b" }],
    });
    expect(validTopologyView(undefined)).toEqual({ servers: [], links: [] });
  });
});
