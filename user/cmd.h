/* Commands: each takes its own argv (argv[0] is the command's name) and
 * returns an exit code from log.h. */
#ifndef NST_CMD_H
#define NST_CMD_H

int cmd_topo(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);

#endif
