import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { deployRefusals } from "./deploy-check.ts";
import { configCopies, FAULTS_CONFIG, ROOT } from "./stack.ts";
import { WORKERS } from "./workers.ts";

const raw = (file: string) =>
	experimental_readRawConfig({ config: resolve(ROOT, file) }).rawConfig as Record<string, unknown>;

describe("the deploy check", () => {
	it("lets every committed Worker config through", () => {
		for (const w of WORKERS) expect(deployRefusals(raw(w.config), w.config)).toEqual([]);
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
});
