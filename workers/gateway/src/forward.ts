import type { Context } from "hono";
import type { Gateway } from "./vars";

/**
 * Calls a context over its service binding (never a public URL), carrying the trace context and
 * who the verified caller is (what an operator's action is recorded under), and hands its answer
 * back unchanged: the contexts already speak problem+json.
 */
export async function forward(
	c: Context<Gateway>,
	service: Fetcher,
	path: string,
	init: { method?: string; body?: unknown } = {},
): Promise<Response> {
	const headers = new Headers({ traceparent: c.get("traceparent") });
	const caller = c.get("caller");
	if (caller) headers.set("x-actor", caller.customerId);
	if (init.body !== undefined) headers.set("content-type", "application/json");
	const res = await service.fetch(`https://internal${path}`, {
		method: init.method ?? "GET",
		headers,
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
	return new Response(res.body, res);
}
