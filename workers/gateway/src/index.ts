import { bodyLimit } from "hono/body-limit";
import { orderIdSchema } from "../../../shared/api";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { parseOr422 } from "../../../shared/http/validate";
import { requireScope } from "./auth";
import { pageRoutes } from "./dashboard/routes";
import { forward } from "./forward";
import { openApiDocument } from "./openapi";
import { NOT_FOUND, requireOwnOrder } from "./ownership";
import { adminRoutes } from "./routes/admin";
import { inventoryRoutes } from "./routes/inventory";
import { orderRoutes } from "./routes/orders";
import { returnRoutes } from "./routes/returns";
import { traceContext } from "./trace";
import type { GatewayVars } from "./vars";

/** Bodies are capped before they are parsed. */
const MAX_BODY_BYTES = 64 * 1024;

const app = createApp<GatewayEnv, GatewayVars>("gateway", { internal: false });

app.use(traceContext);
app.use(
	bodyLimit({
		maxSize: MAX_BODY_BYTES,
		onError: () => {
			throw new ProblemError(413, "payload_too_large", `The body is larger than ${MAX_BODY_BYTES} bytes`);
		},
	}),
);

let openApi: ReturnType<typeof openApiDocument> | undefined;
app.get("/openapi.json", (c) => {
	openApi ??= openApiDocument();
	return c.json(openApi);
});

app.route("/", pageRoutes);
app.route("/inventory", inventoryRoutes);
app.route("/orders", orderRoutes);
app.route("/returns", returnRoutes);
app.route("/admin", adminRoutes);

app.get("/payments/:orderId", requireScope("customer"), async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("orderId"));
	await requireOwnOrder(c, id, NOT_FOUND.payment);
	return forward(c, c.env.BILLING, `/payments/${id}`);
});
app.get("/shipments/:orderId", requireScope("customer"), async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("orderId"));
	await requireOwnOrder(c, id, NOT_FOUND.shipment);
	return forward(c, c.env.SHIPPING, `/shipments/${id}`);
});

export default app satisfies ExportedHandler<GatewayEnv>;
