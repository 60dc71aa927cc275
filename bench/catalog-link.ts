import { existsSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A build reads the shipped catalog (the instance type, the accelerator's specs) from `pricing/`
 * beside its `src/`, which the compiler does not copy: the checkout's own is linked there.
 */
export function linkCatalog(dir: string): void {
  const target = resolve(dir, 'pricing');
  if (existsSync(target)) return;
  try {
    symlinkSync(resolve(dir, '../pricing'), target);
  } catch (error) {
    // Another run linked it meanwhile.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
