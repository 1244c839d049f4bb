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
  source: { files: Record<string, string>; entry: string },
  options?: { conditions?: string[]; minify?: boolean; format?: 'esm' | 'iife'; nodePaths?: string[] },
): Promise<{ code: string; bytes: number; gzipBytes: number; inputs: Record<string, number> }>;
