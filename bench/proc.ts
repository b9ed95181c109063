/** CPU time and memory of a process tree, read from /proc (Linux). */
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

function statOf(pid: number): { ppid: number; cpuTicks: number; name: string } | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// Fields after the command name, which is in parentheses and may hold spaces.
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
		return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), name };
	} catch {
		return null;
	}
}

/** The process and all its descendants. */
export function processTree(root: number): number[] {
	const parents = new Map<number, number>();
	for (const entry of readdirSync("/proc")) {
		const pid = Number(entry);
		if (!Number.isInteger(pid)) continue;
		const s = statOf(pid);
		if (s) parents.set(pid, s.ppid);
	}
	const tree = new Set([root]);
	let grew = true;
	while (grew) {
		grew = false;
		for (const [pid, ppid] of parents) {
			if (!tree.has(pid) && tree.has(ppid)) {
				tree.add(pid);
				grew = true;
			}
		}
	}
	return [...tree];
}

export interface Sample {
	cpuSeconds: number;
	rssBytes: number;
	/** CPU seconds by process name: workerd (the runtime) against node (wrangler, which relays the logs). */
	cpuByName: Record<string, number>;
}

export function sampleTree(pids: number[]): Sample {
	let ticks = 0;
	let rss = 0;
	const cpuByName: Record<string, number> = {};
	for (const pid of pids) {
		const s = statOf(pid);
		if (!s) continue;
		ticks += s.cpuTicks;
		cpuByName[s.name] = (cpuByName[s.name] ?? 0) + s.cpuTicks / CLOCK_TICKS;
		try {
			const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
			rss += Number(kb ?? 0) * 1024;
		} catch {
			// the process ended between the two reads
		}
	}
	return { cpuSeconds: ticks / CLOCK_TICKS, rssBytes: rss, cpuByName };
}

/** CPU seconds the whole machine has been busy since boot (every core, every process), from /proc/stat. */
export function machineBusySeconds(): number {
	const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
	// user, nice, system, irq, softirq, steal: everything but idle and iowait.
	const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (fields[i] ?? 0), 0);
	return busy / CLOCK_TICKS;
}
