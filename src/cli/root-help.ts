/**
 * The top-level `--help` text, written out so `siglume-check --help` answers
 * without loading commander (commander alone costs about a fifth of a bare
 * `node -e 0` start). test/cli/root-help.test.ts compares this text with what
 * the commander program in main.ts prints, so the two cannot drift apart.
 * It is wrapped for 80 columns, commander's width when stdout is not a TTY.
 */
export function rootHelpText(name: string): string {
  return `Usage: ${name} [options] [command]

Siglume Direct Request Payment: readiness checks, the local sandbox, templates
and webhook tools.

Options:
  -v, --version               print the version
  -h, --help                  show help

Commands:
  readiness|doctor [options]  check that payments can work end to end (readiness
                              API, account, webhook, Hosted Checkout, delivery)
  preflight [options]         check everything except webhook delivery, before
                              the routes are mounted
  verify [options]            the last step before going live: every readiness
                              check, including a test webhook delivery
  init [options] <template>   copy the checkout + webhook routes for your
                              framework into your project
  sandbox [options]           run the local Siglume sandbox API for development
                              and tests
  webhook <command>           send signed test events to your webhook handler,
                              or sign a body
  reconcile [options]         repair orders paid at Siglume whose webhook was
                              lost
  help [command...]           show help for a command

${rootHelpFooter(name)}
`;
}

/** The end of the top-level help, after the command list: where to start, and the exit codes. */
export function rootHelpFooter(name: string): string {
  const bin = name === 'siglume-check' ? 'siglume-check' : 'siglume-sdrp';
  const rows = [
    [`${bin} readiness --sandbox`, 'check everything against a local sandbox'],
    [`${bin} preflight`, 'going live: before mounting the routes'],
    [`${bin} verify`, 'after mounting: the last step before live'],
  ];
  const width = Math.max(...rows.map(([command]) => command!.length));
  return `Start here:
${rows.map(([command, what]) => `  ${command!.padEnd(width)}  ${what}`).join('\n')}

Exit codes: 0 ok, 1 not ready / failed, 2 usage error, 130 / 143 stopped with
Ctrl+C (SIGINT) / SIGTERM. But sandbox exits 0 when stopped that way, and
reconcile 1 after printing its report (a second signal quits at once).

Environment: SIGLUME_DEBUG=1 also prints the stack trace of an unexpected error.`;
}
