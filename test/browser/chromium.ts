import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium; playwright-core downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium'
const INSTALL = 'apt-get install chromium'

/** Headless Chromium, or an error naming the package to install: the suite fails, it never passes silently. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`test:browser needs Debian's Chromium at ${CHROMIUM}; install it with: ${INSTALL}`)
  }
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    })
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new Error(`test:browser could not start ${CHROMIUM} (is it installed? ${INSTALL}): ${reason}`)
  }
}
