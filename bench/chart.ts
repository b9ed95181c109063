/** Latency (p50 and p99) against throughput for both systems, as a small self-contained SVG. */
interface Point {
	system: string;
	level: number;
	throughput: number;
	p50: number;
	p99: number;
}

const COLORS: Record<string, string> = { ours: "#0b6efd", workflows: "#e8590c", ceiling: "#868e96" };

export function chartSvg(results: Point[]): string {
	const W = 720;
	const H = 440;
	const M = { left: 70, right: 150, top: 30, bottom: 50 };
	const maxX = Math.max(...results.map((r) => r.throughput)) * 1.1;
	const maxY = Math.max(...results.filter((r) => r.system !== "ceiling").map((r) => r.p99)) * 1.1;
	const x = (v: number) => M.left + (v / maxX) * (W - M.left - M.right);
	const y = (v: number) => H - M.bottom - (Math.min(v, maxY) / maxY) * (H - M.top - M.bottom);
	const parts: string[] = [];
	for (let i = 0; i <= 5; i++) {
		const vx = (maxX / 5) * i;
		const vy = (maxY / 5) * i;
		parts.push(`<line x1="${x(vx)}" y1="${H - M.bottom}" x2="${x(vx)}" y2="${M.top}" stroke="#eee"/>`);
		parts.push(`<text x="${x(vx)}" y="${H - M.bottom + 18}" text-anchor="middle">${vx.toFixed(0)}</text>`);
		parts.push(`<line x1="${M.left}" y1="${y(vy)}" x2="${W - M.right}" y2="${y(vy)}" stroke="#eee"/>`);
		parts.push(`<text x="${M.left - 8}" y="${y(vy) + 4}" text-anchor="end">${vy.toFixed(0)}</text>`);
	}
	let legend = 0;
	for (const system of [...new Set(results.map((r) => r.system))]) {
		const color = COLORS[system] ?? "#000";
		const pts = results.filter((r) => r.system === system).sort((a, b) => a.level - b.level);
		for (const [metric, dash] of [
			["p50", ""],
			["p99", "6 4"],
		] as const) {
			parts.push(
				`<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${pts.map((p) => `${x(p.throughput)},${y(p[metric])}`).join(" ")}"/>`,
			);
			for (const p of pts) {
				parts.push(
					`<circle cx="${x(p.throughput)}" cy="${y(p[metric])}" r="3.5" fill="${color}"><title>${system} c=${p.level} ${metric} ${p[metric].toFixed(0)} ms at ${p.throughput.toFixed(1)}/s</title></circle>`,
				);
				if (metric === "p50")
					parts.push(
						`<text x="${x(p.throughput) + 6}" y="${y(p.p50) - 6}" fill="${color}" font-size="10">c=${p.level}</text>`,
					);
			}
		}
		parts.push(`<rect x="${W - M.right + 16}" y="${M.top + legend * 22}" width="12" height="12" fill="${color}"/>`);
		parts.push(`<text x="${W - M.right + 34}" y="${M.top + legend * 22 + 11}">${system}</text>`);
		legend++;
	}
	parts.push(
		`<text x="${W - M.right + 16}" y="${M.top + legend * 22 + 11}" font-size="11">solid p50, dashed p99</text>`,
	);
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${M.left}" y="18" font-weight="bold">Time to confirmed against throughput (one local runtime)</text>
${parts.join("\n")}
<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>
<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>
<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">completed sagas per second</text>
<text x="18" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(M.top + H - M.bottom) / 2})">ms from POST to confirmed</text>
</svg>
`;
}
