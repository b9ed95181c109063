/** Runs one tool over every Worker: `typecheck`, `types [--check]` (wrangler types) or `dry-run` (wrangler deploy --dry-run). */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./lib/stack.ts";
import { WORKERS } from "./lib/workers.ts";

const [task, ...rest] = process.argv.slice(2);
const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: ROOT, stdio: "inherit" });

for (const w of WORKERS) {
	console.log(`» ${task} ${w.name}`);
	if (task === "typecheck") run(bin("tsc"), ["-p", `${w.dir}/tsconfig.json`]);
	else if (task === "types") {
		run(bin("wrangler"), [
			"types",
			"-c",
			w.config,
			"--env-interface",
			w.envInterface,
			"--include-runtime=false",
			...rest,
			`${w.dir}/worker-configuration.d.ts`,
		]);
	} else if (task === "dry-run")
		run(bin("wrangler"), ["deploy", "--dry-run", "-c", w.config, "--outdir", `dist/${w.name}`]);
	else throw new Error(`unknown task ${task}`);
}
