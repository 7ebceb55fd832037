import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./write-file-atomic";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-atomic-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const tmpFiles = (d: string) => fs.readdirSync(d).filter((n) => n.endsWith(".tmp"));

describe("writeFileAtomic", () => {
  it("writes the content with the requested mode, despite the umask", () => {
    const f = path.join(dir, "secret.txt");
    const previous = process.umask(0o077);
    try {
      writeFileAtomic(f, "top secret\n", 0o600);
      const g = path.join(dir, "public.txt");
      writeFileAtomic(g, "hello", 0o644); // the umask would make this 0600 without the chmod
      expect(fs.statSync(g).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(previous);
    }
    expect(fs.readFileSync(f, "utf8")).toBe("top secret\n");
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it("defaults to mode 0644 and writes binary data as is", () => {
    const f = path.join(dir, "data.bin");
    const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
    writeFileAtomic(f, bytes);
    expect(fs.statSync(f).mode & 0o777).toBe(0o644);
    expect(new Uint8Array(fs.readFileSync(f))).toEqual(bytes);
  });

  it("overwrites an existing file, taking the new mode, and leaves no temp file", () => {
    const f = path.join(dir, "config.json");
    fs.writeFileSync(f, "old content that is longer than the new one", { mode: 0o644 });
    writeFileAtomic(f, "new", 0o600);
    writeFileAtomic(f, "newer", 0o600);
    expect(fs.readFileSync(f, "utf8")).toBe("newer");
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(["config.json"]);
  });

  it("creates missing parent directories", () => {
    const f = path.join(dir, "a", "b", "c.txt");
    writeFileAtomic(f, "deep");
    expect(fs.readFileSync(f, "utf8")).toBe("deep");
    expect(tmpFiles(path.dirname(f))).toEqual([]);
  });

  it("throws when the target's directory is a file, and leaves that file untouched", () => {
    const blocker = path.join(dir, "not-a-dir");
    fs.writeFileSync(blocker, "original");
    expect(() => writeFileAtomic(path.join(blocker, "x.txt"), "data", 0o600)).toThrow();
    expect(fs.readFileSync(blocker, "utf8")).toBe("original");
    expect(fs.readdirSync(dir)).toEqual(["not-a-dir"]);
  });

  it("throws when the target cannot be replaced, leaving the original and no temp file", () => {
    const target = path.join(dir, "target");
    fs.mkdirSync(target); // a directory cannot be renamed over by a file
    fs.writeFileSync(path.join(target, "inside.txt"), "original");
    expect(() => writeFileAtomic(target, "data", 0o600)).toThrow();
    expect(fs.statSync(target).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(target, "inside.txt"), "utf8")).toBe("original");
    expect(fs.readdirSync(dir)).toEqual(["target"]);
  });
});
