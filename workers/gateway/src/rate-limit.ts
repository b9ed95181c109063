import type { MiddlewareHandler } from "hono";
import { problemResponse } from "../../../shared/http/problem";
import type { Gateway } from "./vars";

/**
 * Placing orders is limited per customer (the `ORDER_RATE_LIMIT` binding: limit and period in
 * wrangler.toml). It runs before the body is read, so a refused request costs little and stores
 * nothing. The binding answers only yes or no, so Retry-After is the whole period: by then the
 * window the refusal was counted in has passed.
 */
export const orderRateLimit: MiddlewareHandler<Gateway> = async (c, next) => {
	const { success } = await c.env.ORDER_RATE_LIMIT.limit({ key: c.get("caller").customerId });
	if (success) return next();
	const seconds = c.env.ORDER_RATE_LIMIT_PERIOD;
	// Answered here, not thrown: onError builds a fresh response, which would drop Retry-After.
	const res = problemResponse(
		429,
		"rate_limited",
		"Too many orders placed; try again later",
		{ retryAfterSeconds: Number(seconds) },
		c.req.path,
	);
	res.headers.set("Retry-After", seconds);
	return res;
};
