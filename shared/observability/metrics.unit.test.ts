import { describe, expect, it } from "vitest";
import { observe, renderMetrics, seriesLines } from "./metrics";

describe("RED metrics", () => {
	it("counts rate, errors and a duration histogram per label set, in Prometheus text", () => {
		observe("request", { service: "t", route: "/orders/:id", method: "GET" }, 12, false);
		observe("request", { service: "t", route: "/orders/:id", method: "GET" }, 700, true);
		observe("message", { service: "t", type: "billing.capture-payment", outcome: "ok" }, 3, false);
		const text = renderMetrics();
		expect(text).toContain('edge_saga_http_requests_total{service="t",route="/orders/:id",method="GET"} 2');
		expect(text).toContain('edge_saga_http_requests_errors_total{service="t",route="/orders/:id",method="GET"} 1');
		expect(text).toContain(
			'edge_saga_http_requests_duration_ms_bucket{service="t",route="/orders/:id",method="GET",le="25"} 1',
		);
		expect(text).toContain(
			'edge_saga_http_requests_duration_ms_bucket{service="t",route="/orders/:id",method="GET",le="1000"} 2',
		);
		expect(text).toContain('edge_saga_http_requests_duration_ms_sum{service="t",route="/orders/:id",method="GET"} 712');
		expect(text).toContain('edge_saga_messages_total{service="t",type="billing.capture-payment",outcome="ok"} 1');
		expect(text).toContain("# TYPE edge_saga_messages_duration_ms histogram");
		expect(seriesLines(text).every((l) => !l.startsWith("#"))).toBe(true);
	});
});
