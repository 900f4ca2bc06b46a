/**
 * CPU time and memory of processes, for the benchmarks: what a process (every thread of it) has run on a CPU so
 * far, from Linux's scheduler statistics (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds), and its resident set
 * (`/proc/<pid>/status`). Elsewhere they answer null and the benchmarks leave those columns empty.
 */
import { readdirSync, readFileSync } from 'node:fs'

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Milliseconds of CPU that `pid` has used, all its threads; null when it cannot be read. */
export function processCpuMs(pid: number): number | null {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return null
  }
  let ns = 0
  for (const tid of tasks) ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0)
  return ns / 1e6
}

/** The resident set size of `pid` in MiB (`VmRSS`); null when it cannot be read. */
export function processRssMiB(pid: number): number | null {
  const kB = /^VmRSS:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1]
  return kB === undefined ? null : Number(kB) / 1024
}

/** The processes below `root` (children, grandchildren...), each with its command name. */
export function descendants(root: number): Array<{ pid: number; comm: string }> {
  const parentOf = new Map<number, { ppid: number; comm: string }>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = read(`/proc/${entry}/stat`)
    const match = stat && /^\d+ \((.*)\) \S+ (\d+)/s.exec(stat)
    if (match) parentOf.set(Number(entry), { ppid: Number(match[2]), comm: match[1]! })
  }
  const below = (pid: number): boolean => {
    for (let p = parentOf.get(pid)?.ppid; p !== undefined && p > 1; p = parentOf.get(p)?.ppid) if (p === root) return true
    return false
  }
  return [...parentOf].filter(([pid]) => below(pid)).map(([pid, { comm }]) => ({ pid, comm }))
}

/** CPU milliseconds used so far by this process's descendants named `comm` (e.g. every `postgres` backend). */
export function descendantsCpuMs(comm: string): number | null {
  let total: number | null = null
  for (const p of descendants(process.pid)) {
    if (p.comm !== comm) continue
    const ms = processCpuMs(p.pid)
    if (ms !== null) total = (total ?? 0) + ms
  }
  return total
}
