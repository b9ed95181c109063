import { afterEach, describe, expect, it, vi } from "vitest";
import { otlpHeaders } from "./export";

afterEach(() => vi.restoreAllMocks());

describe("OTLP_HEADERS", () => {
	it("reads k=v pairs as OTEL_EXPORTER_OTLP_HEADERS does: trimmed, keys lower-cased, values percent-decoded", () => {
		expect(otlpHeaders(" Authorization=Basic%20dTpw ,x-honeycomb-team=abc=,, dataset = d%2C1 ")).toEqual({
			authorization: "Basic dTpw",
			"x-honeycomb-team": "abc=",
			dataset: "d,1",
		});
		expect(otlpHeaders(undefined)).toEqual({});
		expect(otlpHeaders("")).toEqual({});
	});

	it("skips a pair it cannot read and logs its key, never its value", () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		expect(otlpHeaders("novalue,bad key=1,x-ok=1,x-bad=%E0%A4%A")).toEqual({ "x-ok": "1" });
		const logged = warn.mock.calls.map((c) => String(c[0]));
		expect(logged).toHaveLength(3);
		expect(logged.join()).not.toContain("%E0");
		expect(logged.every((l) => l.includes('"event":"otlp.header-invalid"'))).toBe(true);
	});
});
