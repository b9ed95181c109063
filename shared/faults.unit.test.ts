import { describe, expect, it } from "vitest";
import { copiesOf, type FaultSettings, faultPlan } from "./faults";

/** The shape a service binding to the faults Worker gives: an object whose `settings` is callable. */
const binding = (settings: FaultSettings) => ({ settings: async () => settings });

describe("fault injection", () => {
	it("is off by default", async () => {
		expect(await faultPlan({ CURRENCY: "EUR" })).toBeNull();
		expect(copiesOf(await faultPlan({}), "billing.authorize-payment", "m-1")).toBe(1);
	});

	it("stays off when the old switch is set as a variable or secret, with its settings", async () => {
		const env = { FAULT_INJECTION: "local-testing", FAULT_FAIL: "*=1", FAULT_DUPLICATE: "*=5", FAULT_SEED: "7" };
		expect(await faultPlan(env)).toBeNull();
	});

	it.each([
		["a string", "local-testing"],
		["another string", "on"],
		["JSON data shaped like the binding", { settings: { FAULT_FAIL: "*=1" } }],
		["a number", 1],
	])("stays off when FAULTS is %s, not a binding", async (_, value) => {
		expect(await faultPlan({ FAULTS: value, FAULT_FAIL: "*=1" })).toBeNull();
	});

	it("is on only through the FAULTS binding, with the faults Worker's settings", async () => {
		const plan = await faultPlan({
			FAULTS: binding({ FAULT_SEED: "7", FAULT_FAIL: "billing.*=0.2", FAULT_DUPLICATE: "*=2", FAULT_SHUFFLE: "1" }),
		});
		expect(plan).toMatchObject({ seed: 7, fail: [["billing.*", 0.2]], copies: [["*", 2]], shuffle: true });
		expect(copiesOf(plan, "inventory.reserve-stock", "m-1")).toBe(2);
	});

	it("asks the binding once per env, and again after a failed call", async () => {
		let calls = 0;
		const env = {
			FAULTS: {
				settings: async () => {
					calls++;
					if (calls === 1) throw new Error("the faults Worker is not up yet");
					return { FAULT_SEED: "3" };
				},
			},
		};
		await expect(faultPlan(env)).rejects.toThrow("not up yet");
		expect((await faultPlan(env))?.seed).toBe(3);
		expect((await faultPlan(env))?.seed).toBe(3);
		expect(calls).toBe(2);
	});
});
