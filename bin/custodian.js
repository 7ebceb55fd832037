#!/usr/bin/env node
// The `custodian` command. TypeScript sources run through tsx's loader (no separate compile
// step); the CLI itself imports only what the chosen subcommand needs, so `custodian --help`
// and the pool commands never load Next or the web UI.
import "./threadpool.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
register({ tsconfig: path.join(root, "tsconfig.json") });
const { main } = await import("../server/cli/main.ts");
process.exitCode = await main(process.argv);
