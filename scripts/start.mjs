// `npm start`: builds the UI if needed, then runs `custodian serve --demo` with the defaults
// (data in ./data, http://127.0.0.1:3100). Extra arguments go to `custodian serve`:
//   npm start -- --port 8080 --no-demo
import path from "node:path";
import { spawn } from "node:child_process";
import { ensureBuild } from "./ensure-build.mjs";

ensureBuild();
const root = path.resolve(import.meta.dirname, "..");
const child = spawn(process.execPath, [path.join(root, "bin", "custodian.js"), "serve", "--demo", ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
