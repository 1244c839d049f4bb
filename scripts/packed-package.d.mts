/** Types of ./packed-package.mjs (used from the TypeScript tests). */
export declare const WORKER_CONDITIONS: string[];
export declare function packedPackage(root: string): Promise<{
  consumerDir: string;
  packageDir: string;
  tarball: string;
  name: string;
}>;
export declare function bundleWorker(
  consumerDir: string,
  name: string,
  source: string,
  options?: { conditions?: string[]; minify?: boolean; format?: 'esm' | 'iife' },
): Promise<{ code: string; bytes: number; gzipBytes: number; inputs: Record<string, number> }>;
