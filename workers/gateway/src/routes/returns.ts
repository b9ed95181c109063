import { Hono } from "hono";
import { returnIdSchema } from "../../../../shared/api";
import { parseOr422 } from "../../../../shared/http/validate";
import { requireScope } from "../auth";
import { forward } from "../forward";
import { readOwnReturn } from "../ownership";
import type { Gateway } from "../vars";

/** A return and its history: a customer sees only the returns of its own orders, anyone else's is as missing. */
export const returnRoutes = new Hono<Gateway>();

returnRoutes.use(requireScope("customer"));

/** The caller's returns from the read model (an admin's: anyone's, by customerId or orderId), newest first. */
returnRoutes.get("/", (c) => {
	const query = new URLSearchParams(c.req.query());
	const caller = c.get("caller");
	if (!caller.admin) query.set("customerId", caller.customerId);
	return forward(c, c.env.ORDER, `/returns?${query}`);
});

returnRoutes.get("/:id", async (c) => {
	const id = parseOr422(returnIdSchema, c.req.param("id"));
	return c.body(await readOwnReturn(c, id), 200, { "content-type": "application/json" });
});

returnRoutes.get("/:id/history", async (c) => {
	const id = parseOr422(returnIdSchema, c.req.param("id"));
	await readOwnReturn(c, id);
	return forward(c, c.env.ORDER, `/returns/${id}/history`);
});
