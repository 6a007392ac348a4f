/* Commands: each takes its own argv (argv[0] is the command's name) and
 * returns an exit code from log.h. */
#ifndef NST_CMD_H
#define NST_CMD_H

int cmd_topo(int argc, char **argv);
int cmd_features(int argc, char **argv);

/* Shared by commands: prints "nstrace CMD: needs root (WHAT)" and returns
 * EXIT_NOPRIV when not running as root, else 0. */
int need_root(const char *cmd, const char *what);

#endif
