import { readFileSync } from "node:fs";

/**
 * The CPU seconds a process on this machine has used (utime + stime of /proc/<pid>/stat), or null when it
 * cannot be read (another machine's process, one that has ended, or no /proc). The benchmarks and the
 * PostgreSQL bulk path's step figures read a server process's CPU time this way.
 */
export function processCpuSeconds(pid: number | null | undefined): number | null {
  if (pid === null || pid === undefined) return null;
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

/**
 * The CPU seconds of a process's main thread alone (its JavaScript, for Node), or null as processCpuSeconds:
 * the one thread a server cannot spread over cores, so what bounds its throughput once it is saturated.
 */
export function mainThreadCpuSeconds(pid: number | null | undefined): number | null {
  if (pid === null || pid === undefined) return null;
  return cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsOf(statFile: string): number | null {
  try {
    // The fields after the command's closing parenthesis (the command may hold spaces): utime and stime are
    // the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
    const stat = readFileSync(statFile, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
