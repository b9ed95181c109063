import { describe, expect, it } from "vitest";
import { setting } from "./settings";

describe("setting", () => {
	it("reads a positive number from the Worker's vars", () => {
		expect(setting({ LIMIT: "250" }, "LIMIT", 10)).toBe(250);
	});

	it("falls back to the default when unset or empty", () => {
		expect(setting({}, "LIMIT", 10)).toBe(10);
		expect(setting({ LIMIT: "" }, "LIMIT", 10)).toBe(10);
	});

	it("never turns a bound off: zero, negative and non-numbers give the default", () => {
		for (const bad of ["0", "-5", "7 days", "NaN", "Infinity"]) expect(setting({ LIMIT: bad }, "LIMIT", 10)).toBe(10);
	});
});
