/**
 * Starts the whole system the way `npm start` does: every Worker in one `wrangler dev` session
 * (queues and service bindings only connect inside one session), the gateway on `port`.
 * Used by `npm start` and by the end-to-end suite.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { experimental_readRawConfig } from "wrangler";
import { type LocalIdentity, localAuthVars, serveJwks } from "./identity.ts";
import { readableOutput } from "./log-format.ts";
import { d1DatabasesIn } from "./workers.ts";

export const ROOT = join(import.meta.dirname, "../..");
export const GATEWAY_CONFIG = "wrangler.toml";
/** The gateway first: the first config of a session is the one that listens. */
export const WORKER_CONFIGS = [
	GATEWAY_CONFIG,
	"workers/order/wrangler.toml",
	"workers/inventory/wrangler.toml",
	"workers/billing/wrangler.toml",
	"workers/shipping/wrangler.toml",
	"workers/telemetry/wrangler.toml",
];

export interface Stack {
	url: string;
	/** The wrangler process; the runtime's processes are its descendants. */
	process: ChildProcess;
	/** Stops the session; SIGKILL simulates a crash of the runtime. */
	stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StackOptions {
	port: number;
	persistTo: string;
	/** The signing key whose tokens the gateway accepts: its JWKS is served for as long as the session runs. */
	identity: LocalIdentity;
	/** Extra `--var NAME:VALUE` settings of the gateway (the session's first Worker), e.g. tokens for a test run. */
	vars?: Record<string, string>;
	/** Variables for every Worker (wrangler's --var reaches only the first): set through copies of the configs. */
	workerVars?: Record<string, string>;
	/**
	 * FAULT_* settings (see shared/faults.ts). When given, the session also runs the local faults
	 * Worker with these as its variables, and every Worker gets the FAULTS binding to it: the only
	 * way faults switch on, and one a deployed Worker cannot have.
	 */
	faults?: Record<string, string>;
	/** The Worker configs of the session, the listening one first; the system's by default. */
	configs?: readonly string[];
	/**
	 * Where wrangler's output goes: inherited as is, shown as one readable line per hop (`npm start`;
	 * see log-format.ts), or collected by tests.
	 */
	output?: "inherit" | "readable" | ((chunk: string) => void);
	readyTimeoutMs?: number;
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

/** The local-only Worker that serves fault settings; see scripts/faults/wrangler.toml. */
export const FAULTS_CONFIG = "scripts/faults/wrangler.toml";
export const FAULTS_WORKER = "edge-saga-faults";

function withVars(toml: string, vars: Record<string, string>): string {
	const entries = Object.entries(vars);
	if (entries.length === 0) return toml;
	const lines = entries.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n");
	let out = toml;
	for (const key of Object.keys(vars)) out = out.replace(new RegExp(`^${key} = .*$`, "m"), "");
	return /^\[vars\]$/m.test(out) ? out.replace(/^\[vars\]$/m, `[vars]\n${lines}`) : `${out}\n[vars]\n${lines}\n`;
}

/**
 * Copies of the Worker configs with `vars` added (and `gatewayVars` to the gateway's), written to
 * `dir`; `main` points back at the sources. Wrangler applies --var and --env-file to the first
 * Worker of a session only. With `faults`, the faults Worker joins the session with them as its
 * variables and every other copy binds FAULTS to it.
 */
export function configCopies(
	{
		vars = {},
		gatewayVars = {},
		faults,
	}: { vars?: Record<string, string>; gatewayVars?: Record<string, string>; faults?: Record<string, string> },
	dir: string,
	configs: readonly string[] = WORKER_CONFIGS,
): string[] {
	mkdirSync(dir, { recursive: true });
	const all = faults ? [...configs, FAULTS_CONFIG] : configs;
	return all.map((config, i) => {
		let toml = readFileSync(join(ROOT, config), "utf8").replace(
			/^main = "(.+)"$/m,
			(_, main: string) => `main = ${JSON.stringify(resolve(ROOT, dirname(config), main))}`,
		);
		if (config === FAULTS_CONFIG) toml = withVars(toml, faults ?? {});
		else {
			toml = withVars(toml, config === GATEWAY_CONFIG ? { ...vars, ...gatewayVars } : vars);
			if (faults) toml += `\n[[services]]\nbinding = "FAULTS"\nservice = "${FAULTS_WORKER}"\n`;
		}
		const copy = join(dir, `${i}-${basename(dirname(resolve(ROOT, config)))}.toml`);
		writeFileSync(copy, toml);
		return copy;
	});
}

/**
 * Applies the D1 migrations of every database the session's Workers bind to the local state in
 * `persistTo`, before the session starts (as `npm run deploy` does remotely); ones already applied
 * are skipped. Run on the original configs: their `migrations_dir` is relative to them.
 */
export async function applyLocalMigrations(configs: readonly string[], persistTo: string): Promise<void> {
	for (const config of configs) {
		const path = resolve(ROOT, config);
		for (const database of d1DatabasesIn(experimental_readRawConfig({ config: path }).rawConfig)) {
			const args = ["d1", "migrations", "apply", database, "--local", "--persist-to", persistTo, "-c", path];
			try {
				await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), ...args], {
					cwd: ROOT,
					env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
				});
			} catch (error) {
				const { stdout, stderr } = error as { stdout?: string; stderr?: string };
				throw new Error(`migrating the local D1 database ${database} failed:\n${stdout ?? ""}${stderr ?? ""}`);
			}
		}
	}
}

/**
 * Local settings that differ from the deployed ones: the span store keeps every trace, for the
 * dashboard and the e2e suite; orders and returns tell their news again after 30 s of quiet, since
 * a local session's queues lose what is in flight when it stops.
 */
export const LOCAL_VARS = { SPAN_STORE_SAMPLE_RATE: "1", NEWS_REPUBLISH_MS: "30000" };

export async function startStack(options: StackOptions): Promise<Stack> {
	await applyLocalMigrations(options.configs ?? WORKER_CONFIGS, options.persistTo);
	const jwks = await serveJwks(options.identity);
	// The gateway need not be the session's first Worker (the bench puts its front door first), so its settings go into its copy.
	const configs = configCopies(
		{ vars: { ...LOCAL_VARS, ...options.workerVars }, gatewayVars: localAuthVars(jwks.url), faults: options.faults },
		join(options.persistTo, "configs"),
		options.configs,
	);
	const args = [
		"dev",
		...configs.flatMap((c) => ["-c", c]),
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
	// Wrangler runs on the Node running this script (the project's Node 22), whatever is on the PATH.
	const child = spawn(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), ...args], {
		cwd: ROOT,
		stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"],
		detached: true,
		env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
	});
	if (typeof options.output === "function") {
		const sink = options.output;
		child.stdout?.on("data", (d: Buffer) => sink(d.toString()));
		child.stderr?.on("data", (d: Buffer) => sink(d.toString()));
	} else if (options.output === "readable") {
		const out = readableOutput((t) => process.stdout.write(t));
		const err = readableOutput((t) => process.stderr.write(t));
		child.stdout?.on("data", (d: Buffer) => out(d.toString()));
		child.stderr?.on("data", (d: Buffer) => err(d.toString()));
	}
	const url = `http://127.0.0.1:${options.port}`;
	// The runtime leads a process group of its own: a script that exits without stopping it (an
	// interrupted bench or soak) takes the group with it rather than leaving it running.
	const orphaned = () => {
		if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
	};
	process.once("exit", orphaned);
	const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
		process.off("exit", orphaned);
		if (child.exitCode !== null || child.pid === undefined) return jwks.close();
		const exited = new Promise((r) => child.once("exit", r));
		process.kill(-child.pid, signal);
		const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5_000);
		await exited;
		clearTimeout(timer);
		await jwks.close();
	};
	try {
		await waitForHealth(url, child, options.readyTimeoutMs ?? 90_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return { url, process: child, stop };
}

/** For a script that runs stacks to its end (bench, soak): an interrupt exits, and the exit takes each runtime with it. */
export function exitOnInterrupt(): void {
	for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
}
