import { describe, expect, it } from "vitest";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { keyIdOf, signAnswer, verifyAnswer, type Identity } from "./protocol";

function identity(): Identity {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

describe("signed answers", () => {
  const server = identity();
  const body = Buffer.from(JSON.stringify({ recoveryPoints: [{ manifestId: "m1" }] }));
  const nonce = "0123456789abcdef0123456789abcdef";
  const headers = (h: Record<string, string>) => new Headers(h);

  it("verify against the answering server's key, for this request", () => {
    expect(() => verifyAnswer(headers(signAnswer(server, nonce, 200, body)), nonce, 200, body, server.publicKey, "alpha")).not.toThrow();
  });

  it("refuse an altered body, another request's answer, another status, another signer, or none", () => {
    const signed = headers(signAnswer(server, nonce, 200, body));
    expect(() => verifyAnswer(signed, nonce, 200, Buffer.from(JSON.stringify({ recoveryPoints: [] })), server.publicKey, "alpha")).toThrow(/alpha's answer does not carry its signature/);
    expect(() => verifyAnswer(signed, "f".repeat(32), 200, body, server.publicKey, "alpha")).toThrow(/does not carry its signature/);
    expect(() => verifyAnswer(signed, nonce, 201, body, server.publicKey, "alpha")).toThrow(/does not carry its signature/);
    expect(() => verifyAnswer(headers(signAnswer(identity(), nonce, 200, body)), nonce, 200, body, server.publicKey, "alpha")).toThrow(/does not carry its signature/);
    expect(() => verifyAnswer(headers({}), nonce, 200, body, server.publicKey, "alpha")).toThrow(/alpha's answer is not signed/);
  });
});
