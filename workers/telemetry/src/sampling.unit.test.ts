import { describe, expect, it } from "vitest";
import { childSpan } from "../../../shared/observability/trace";
import { keepsTrace, sampleRate } from "./sampling";

const traceIds = Array.from({ length: 2000 }, () => childSpan(null).traceId);

describe("trace sampling", () => {
	it("keeps every trace at 1 and none at 0", () => {
		expect(traceIds.every((t) => keepsTrace(t, 1))).toBe(true);
		expect(traceIds.some((t) => keepsTrace(t, 0))).toBe(false);
	});

	it("gives a trace id the same answer every time, and keeps about the share asked for", () => {
		const kept = traceIds.filter((t) => keepsTrace(t, 0.25));
		expect(traceIds.filter((t) => keepsTrace(t, 0.25))).toEqual(kept);
		expect(kept.length).toBeGreaterThan(2000 * 0.2);
		expect(kept.length).toBeLessThan(2000 * 0.3);
	});

	it("decides from the random end of the id, so a lower rate keeps a subset of a higher one", () => {
		expect(keepsTrace(`${"f".repeat(24)}00000000`, 0.01)).toBe(true);
		expect(keepsTrace(`${"0".repeat(24)}ffffffff`, 0.99)).toBe(false);
		const atTenth = traceIds.filter((t) => keepsTrace(t, 0.1));
		expect(atTenth.every((t) => keepsTrace(t, 0.5))).toBe(true);
	});

	it("reads TRACE_SAMPLE_RATE as a share, keeping everything when it is unset or not a number", () => {
		expect(sampleRate("0.1")).toBe(0.1);
		expect(sampleRate("0")).toBe(0);
		expect(sampleRate("3")).toBe(1);
		expect(sampleRate("-1")).toBe(0);
		expect(sampleRate(undefined)).toBe(1);
		expect(sampleRate("")).toBe(1);
		expect(sampleRate("half")).toBe(1);
	});
});
