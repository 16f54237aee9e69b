/* cli.h: TEMPORARY forwarding header. The CLI lives in src/cli/ (cli/cli.h); this file
 * remains only because src/model/import.c still defines the import command on this
 * branch. The integrator deletes it once src/cli/import.c (branch sec-import) lands. */
#include "cli/cli.h"
