import { Hono } from "hono";
import { skuSchema, stockInputSchema } from "../../../../shared/api";
import { jsonBody, parseOr422 } from "../../../../shared/http/validate";
import { requireScope } from "../auth";
import { forward } from "../forward";
import { forgetPrice } from "../prices";
import type { Gateway } from "../vars";

export const inventoryRoutes = new Hono<Gateway>();

inventoryRoutes.get("/:sku", requireScope("customer"), async (c) => {
	const sku = parseOr422(skuSchema, c.req.param("sku"));
	return forward(c, c.env.INVENTORY, `/inventory/${sku}`);
});

inventoryRoutes.put("/:sku", requireScope("admin"), async (c) => {
	const sku = parseOr422(skuSchema, c.req.param("sku"));
	const body = await jsonBody(c.req.raw, stockInputSchema);
	// Forgotten even when the answer is lost: inventory may have taken the change.
	try {
		return await forward(c, c.env.INVENTORY, `/inventory/${sku}`, { method: "PUT", body });
	} finally {
		forgetPrice(sku);
	}
});
