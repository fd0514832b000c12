import { cpus, loadavg, release, totalmem } from "node:os";

/** Machine is what the header prints so numbers can be compared with their setting. */
export interface Machine {
  cores: number;
  cpu: string;
  kernel: string;
  memoryGiB: number;
  bun: string;
  /** 1-minute load average at the start: a hint that other work shared the machine. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? "unknown",
    kernel: `Linux ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
