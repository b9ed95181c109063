import { describe, expect, it } from "vitest";
import { setting, settingOrZero } from "./settings";

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

describe("settingOrZero", () => {
	it("takes 0 as a value and still refuses negatives and non-numbers", () => {
		expect(settingOrZero({ TTL: "0" }, "TTL", 10)).toBe(0);
		expect(settingOrZero({ TTL: "250" }, "TTL", 10)).toBe(250);
		for (const bad of ["-5", "7 days", "NaN"]) expect(settingOrZero({ TTL: bad }, "TTL", 10)).toBe(10);
	});
});
