import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { QUEUES, shardsOf } from "../../shared/topology.ts";
import { authSettings, deployRefusals, gatewayRefusals } from "./deploy-check.ts";
import { localAuthVars } from "./identity.ts";
import { configCopies, FAULTS_CONFIG, GATEWAY_CONFIG, LOCAL_VARS, ROOT } from "./stack.ts";
import { d1DatabasesIn, listsQueue, queuesIn, WORKERS } from "./workers.ts";

const raw = (file: string) =>
	experimental_readRawConfig({ config: resolve(ROOT, file) }).rawConfig as Record<string, unknown>;

describe("the deploy check", () => {
	it("lets every committed Worker config through", () => {
		for (const w of WORKERS) expect(deployRefusals(raw(w.config), w.config)).toEqual([]);
	});

	it("refuses a migration deleting a Durable Object class that a binding still uses", () => {
		const inventory = raw("workers/inventory/wrangler.toml");
		const config = {
			...inventory,
			durable_objects: { bindings: [{ name: "STOCKROOM", class_name: "Stockroom" }] },
		};
		expect(deployRefusals(config, "inventory")).toEqual([
			"inventory: a migration deletes Stockroom, and its data with it, while a binding still uses it",
		]);
	});

	it("refuses the faults Worker itself", () => {
		expect(deployRefusals(raw(FAULTS_CONFIG), FAULTS_CONFIG)).toEqual([
			expect.stringContaining('faults Worker "edge-saga-faults" is local only'),
		]);
	});

	it("refuses a FAULTS service binding, whatever it points at", () => {
		const config = { ...raw("workers/billing/wrangler.toml"), services: [{ binding: "FAULTS", service: "anything" }] };
		expect(deployRefusals(config, "billing")).toEqual([expect.stringContaining("FAULTS → anything")]);
	});

	it("refuses a binding to the faults Worker under another name", () => {
		const config = { name: "order", services: [{ binding: "CHAOS", service: "edge-saga-faults" }] };
		expect(deployRefusals(config, "order")).toEqual([expect.stringContaining("CHAOS → edge-saga-faults")]);
	});

	it("refuses FAULT_* variables, the old switch included", () => {
		const config = { name: "billing", vars: { CURRENCY: "EUR", FAULT_INJECTION: "local-testing", FAULT_FAIL: "*=1" } };
		expect(deployRefusals(config, "billing")).toEqual([
			"billing: variable FAULT_INJECTION is a fault setting",
			"billing: variable FAULT_FAIL is a fault setting",
		]);
	});

	it("looks inside every environment", () => {
		const config = {
			name: "shipping",
			env: { staging: { vars: { FAULT_SEED: "1" } }, production: { services: [{ binding: "FAULTS", service: "x" }] } },
		};
		expect(deployRefusals(config, "shipping")).toEqual([
			"shipping [env.staging]: variable FAULT_SEED is a fault setting",
			expect.stringContaining("shipping [env.production]: service binding FAULTS"),
		]);
	});

	it("refuses every config of a soak session with faults, and none of one without", () => {
		const dir = mkdtempSync(join(tmpdir(), "deploy-check-"));
		try {
			const withFaults = configCopies({ faults: { FAULT_FAIL: "*=0.1" } }, join(dir, "faults"));
			expect(withFaults).toHaveLength(WORKERS.length + 1);
			for (const copy of withFaults) expect(deployRefusals(raw(copy), copy)).not.toEqual([]);
			const plain = configCopies({ vars: { SAGA_MAX_ATTEMPTS: "5" } }, join(dir, "plain"));
			for (const copy of plain) expect(deployRefusals(raw(copy), copy)).toEqual([]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("refuses a span store on every order's path: the telemetry config npm start runs, or any rate above the bound", () => {
		const telemetry = "workers/telemetry/wrangler.toml";
		const withRate = (rate: string) => ({
			...raw(telemetry),
			vars: { ...(raw(telemetry).vars as object), SPAN_STORE_SAMPLE_RATE: rate },
		});
		expect(deployRefusals(withRate("0.001"), telemetry)).toEqual([]);
		expect(deployRefusals(withRate("0.01"), telemetry)).toEqual([
			expect.stringContaining("SPAN_STORE_SAMPLE_RATE 0.01 is above 0.001"),
		]);
		expect(deployRefusals(withRate("all"), telemetry)).toEqual([expect.stringContaining("SPAN_STORE_SAMPLE_RATE all")]);
		const dir = mkdtempSync(join(tmpdir(), "deploy-check-"));
		try {
			const copies = configCopies({ vars: LOCAL_VARS }, dir, [telemetry]);
			expect(deployRefusals(raw(copies[0] as string), "copy")).toEqual([
				expect.stringContaining("SPAN_STORE_SAMPLE_RATE 1 "),
			]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("the deploy check of the gateway's identity settings and rate limit", () => {
	const gateway = () => raw(GATEWAY_CONFIG);
	const production = {
		AUTH_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
		AUTH_ISSUER: "https://id.example.com/",
		AUTH_AUDIENCE: "https://api.example.com",
	};

	it("refuses the committed gateway config until the three settings are given", () => {
		const settings = authSettings(gateway(), {});
		expect(settings).toEqual({ AUTH_JWKS_URL: "", AUTH_ISSUER: "", AUTH_AUDIENCE: "" });
		expect(gatewayRefusals(gateway(), "wrangler.toml", settings)).toEqual([
			expect.stringContaining("AUTH_JWKS_URL is not set"),
			expect.stringContaining("AUTH_ISSUER is not set"),
			expect.stringContaining("AUTH_AUDIENCE is not set"),
		]);
	});

	it("lets it through with the settings from the environment, which win over the config's", () => {
		const config = { ...gateway(), vars: { ...(gateway().vars as object), AUTH_ISSUER: "from-config" } };
		const settings = authSettings(config, { ...production, PATH: "/usr/bin" });
		expect(settings).toEqual(production);
		expect(gatewayRefusals(config, "wrangler.toml", settings)).toEqual([]);
		expect(authSettings(config, {}).AUTH_ISSUER).toBe("from-config");
	});

	it("refuses a key set that is not fetched over HTTPS from another machine", () => {
		const cases: [string, string][] = [
			["http://id.example.com/jwks.json", "must be an https URL"],
			["not a url", "must be an https URL"],
			["https://localhost:8443/jwks.json", "points at this machine"],
			["https://127.0.0.1/jwks.json", "points at this machine"],
		];
		for (const [url, why] of cases) {
			const settings = { ...production, AUTH_JWKS_URL: url };
			expect(gatewayRefusals(gateway(), "wrangler.toml", settings), url).toEqual([expect.stringContaining(why)]);
		}
	});

	it("refuses the local session's settings: the gateway copy npm start runs", () => {
		const dir = mkdtempSync(join(tmpdir(), "deploy-check-"));
		try {
			const [copy] = configCopies({ gatewayVars: localAuthVars("http://127.0.0.1:4444/jwks.json") }, dir);
			const config = raw(copy as string);
			expect(gatewayRefusals(config, "copy", authSettings(config, {}))).toEqual([
				expect.stringContaining("must be an https URL"),
			]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("refuses a missing rate limit, and a Retry-After that disagrees with its period", () => {
		const { ratelimits: _, ...withoutLimit } = gateway();
		expect(gatewayRefusals(withoutLimit, "wrangler.toml", production)).toEqual([
			expect.stringContaining("ORDER_RATE_LIMIT rate limit is missing"),
		]);
		const tenSeconds = {
			...gateway(),
			ratelimits: [{ name: "ORDER_RATE_LIMIT", namespace_id: "1001", simple: { limit: 30, period: 10 } }],
		};
		expect(gatewayRefusals(tenSeconds, "wrangler.toml", production)).toEqual([
			"wrangler.toml: ORDER_RATE_LIMIT_PERIOD (60) differs from the rate limit's period (10)",
		]);
	});
});

describe("the queues a deploy creates", () => {
	it("are every queue of the topology, every shard of it, and its dead-letter queue, as the Workers' configs bind them", () => {
		const queues = queuesIn(WORKERS.map((w) => raw(w.config)));
		const expected = Object.keys(QUEUES).flatMap((q) => [...shardsOf(q).map((s) => s.queue), `${q}-dlq`]);
		expect(queues).toEqual(expected.sort());
		expect(queues).toContain("order-read-model");
		expect(queues).toContain("billing-events-dlq");
		expect(queues).toContain("order-read-model-9");
	});

	it("are created unless the account lists that very name: a shard or a dead-letter queue is not its queue", () => {
		const listed = [
			"┌──────┬────────────────────┐",
			"│ id   │ name               │",
			"│ 1a2b │ order-events-1     │",
			"│ 3c4d │ order-events-dlq   │",
			"│ 5e6f │ order-read-model   │",
			"└──────┴────────────────────┘",
		].join("\n");
		expect(listsQueue(listed, "order-events")).toBe(false);
		expect(listsQueue(listed, "order-events-1")).toBe(true);
		expect(listsQueue(listed, "order-events-dlq")).toBe(true);
		expect(listsQueue(listed, "order-read-model")).toBe(true);
		expect(listsQueue(listed, "order-read-model-1")).toBe(false);
		expect(listsQueue("order-events", "order-events")).toBe(true);
	});
});

describe("the D1 databases a deploy creates and migrates", () => {
	it("are the order Worker's read model only, named as its config binds it", () => {
		expect(Object.fromEntries(WORKERS.map((w) => [w.name, d1DatabasesIn(raw(w.config))]))).toEqual({
			telemetry: [],
			inventory: [],
			billing: [],
			shipping: [],
			order: ["edge-saga-orders"],
			gateway: [],
		});
	});
});
