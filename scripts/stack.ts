/**
 * Starts the whole system the way `npm start` does: every Worker in one `wrangler dev` session
 * (queues and service bindings only connect inside one session), the gateway on `port`.
 * Used by `npm start` and by the end-to-end suite.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..");
/** The gateway first: the first config of a session is the one that listens. */
export const WORKER_CONFIGS = [
	"wrangler.toml",
	"workers/order/wrangler.toml",
	"workers/inventory/wrangler.toml",
	"workers/billing/wrangler.toml",
	"workers/shipping/wrangler.toml",
];

export interface Stack {
	url: string;
	process: ChildProcess;
	stop(): Promise<void>;
}

export interface StackOptions {
	port: number;
	persistTo: string;
	/** Extra `--var NAME:VALUE` settings, e.g. tokens for a test run. */
	vars?: Record<string, string>;
	/** Where wrangler's output goes: inherited by `npm start`, collected by tests. */
	output?: "inherit" | ((chunk: string) => void);
	readyTimeoutMs?: number;
}

/** Creates `.dev.vars` from the committed example when it is missing. */
export function ensureDevVars(): void {
	const devVars = join(ROOT, ".dev.vars");
	if (!existsSync(devVars)) copyFileSync(join(ROOT, ".dev.vars.example"), devVars);
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() =>
				typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
			);
		});
	});
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
		try {
			const res = await fetch(`${url}/health`);
			if (res.ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`the system did not answer ${url}/health within ${timeoutMs} ms`);
}

export async function startStack(options: StackOptions): Promise<Stack> {
	const args = [
		"dev",
		...WORKER_CONFIGS.flatMap((c) => ["-c", c]),
		"--ip",
		"127.0.0.1",
		"--port",
		String(options.port),
		"--inspector-port",
		String(await freePort()),
		"--persist-to",
		options.persistTo,
		"--show-interactive-dev-session=false",
		...Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
	];
	const inherit = options.output === "inherit";
	const child = spawn(join(ROOT, "node_modules/.bin/wrangler"), args, {
		cwd: ROOT,
		stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"],
		detached: true,
		env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
	});
	if (typeof options.output === "function") {
		const sink = options.output;
		child.stdout?.on("data", (d: Buffer) => sink(d.toString()));
		child.stderr?.on("data", (d: Buffer) => sink(d.toString()));
	}
	const url = `http://127.0.0.1:${options.port}`;
	const stop = async () => {
		if (child.exitCode !== null || child.pid === undefined) return;
		const exited = new Promise((r) => child.once("exit", r));
		process.kill(-child.pid, "SIGTERM");
		const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5_000);
		await exited;
		clearTimeout(timer);
	};
	try {
		await waitForHealth(url, child, options.readyTimeoutMs ?? 90_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return { url, process: child, stop };
}
