import type { MiddlewareHandler } from "hono";
import { childSpan, formatTraceparent, parseTraceparent } from "../../../shared/observability/trace";
import type { Gateway } from "./vars";

/** Continues the caller's W3C trace (or starts one), and returns the gateway's span in the response. */
export const traceContext: MiddlewareHandler<Gateway> = async (c, next) => {
	const traceparent = formatTraceparent(childSpan(parseTraceparent(c.req.header("traceparent"))));
	c.set("traceparent", traceparent);
	await next();
	c.res.headers.set("traceparent", traceparent);
};
