/**
 * How much slower this machine runs the same CPU work after it has been idle for `idleMs` than after 1 ms: the
 * benchmark's processes (the Worker, the endpoint, Postgres) all wait one round trip between their bursts of work,
 * and on a virtual machine caches and clocks may be cold by then. The work is a fixed chain of SHA-256 hashes.
 */
import { createHash } from 'node:crypto'

function work(): void {
  let digest = Buffer.alloc(32)
  for (let i = 0; i < 1000; i++) digest = createHash('sha256').update(digest).digest()
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function medianAfter(idleMs: number, runs: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    await sleep(idleMs)
    const started = performance.now()
    work()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!
}

/** The medians (ms) of the work after 1 ms idle and after `idleMs`, alternated so that neither gets the warm-up. */
export async function idleWake(idleMs: number, runs = 15): Promise<{ busy: number; idle: number }> {
  for (let i = 0; i < 20; i++) work()
  const busy: number[] = []
  const idle: number[] = []
  for (let round = 0; round < 3; round++) {
    busy.push(await medianAfter(1, runs))
    idle.push(await medianAfter(idleMs, runs))
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1]!
  return { busy: mid(busy), idle: mid(idle) }
}
